namespace Intermediary.Configuration;

/// <summary>
/// The rules for callers' user tokens, checked when an upstream is called on behalf of users.
/// Each error names the configuration key that fixes it.
/// </summary>
internal static class UserTokenOptionsValidator
{
    /// <param name="prefix">The configuration key of <paramref name="userTokens"/>, which every message starts with.</param>
    public static void Validate(string prefix, UserTokenOptions userTokens, ICollection<string> errors)
    {
        const string Why = "when an upstream's Credential is OnBehalfOf";
        if (userTokens.Authority is not { IsAbsoluteUri: true, Scheme: "https" })
        {
            errors.Add($"{prefix}:Authority is required {Why}: the https authority that issues the users' tokens, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0.");
        }

        if (string.IsNullOrWhiteSpace(userTokens.TenantId))
        {
            errors.Add($"{prefix}:TenantId is required {Why}: the tenant the users belong to.");
        }

        if (userTokens.Audiences.Count == 0 || userTokens.Audiences.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{prefix}:Audiences is required {Why}: this service's client id (and its Application ID URI for v1.0 tokens), e.g. {prefix}:Audiences:0.");
        }

        if (string.IsNullOrWhiteSpace(userTokens.RequiredScope))
        {
            errors.Add($"{prefix}:RequiredScope must not be empty: the delegated scope users' tokens carry (default access_as_user).");
        }

        if (userTokens.ClockSkew < TimeSpan.Zero || userTokens.ClockSkew > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{prefix}:ClockSkew must be between 00:00:00 and 00:10:00.");
        }

        if (userTokens.CacheBytes <= 0)
        {
            errors.Add($"{prefix}:CacheBytes must be greater than 0 (default 33554432, 32 MiB).");
        }
    }
}
