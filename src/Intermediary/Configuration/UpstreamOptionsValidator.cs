using Intermediary.Security;

namespace Intermediary.Configuration;

/// <summary>
/// The rules for one upstream: where it is, which paths and headers callers may use, and its credential, resilience and cache settings.
/// Each error names the configuration key that fixes it.
/// </summary>
internal static class UpstreamOptionsValidator
{
    /// <param name="prefix">The configuration key of <paramref name="upstream"/>, which every message starts with.</param>
    public static void Validate(string prefix, string upstreamName, UpstreamOptions upstream, ICollection<string> errors)
    {
        if (!UpstreamName.IsValid(upstreamName))
        {
            errors.Add($"{prefix}: upstream names may use only letters, digits, '-' and '_' (they are a URL segment).");
        }

        if (upstream.BaseUrl is null)
        {
            errors.Add($"{prefix}:BaseUrl is required (the APIM API URL, e.g. https://contoso.azure-api.net/orders/).");
        }
        else if (!upstream.BaseUrl.IsAbsoluteUri || upstream.BaseUrl.Scheme is not ("http" or "https")
            || !string.IsNullOrEmpty(upstream.BaseUrl.Query) || !string.IsNullOrEmpty(upstream.BaseUrl.Fragment)
            || !string.IsNullOrEmpty(upstream.BaseUrl.UserInfo))
        {
            errors.Add($"{prefix}:BaseUrl must be an absolute http or https URL without query, fragment or user info.");
        }

        if (upstream.AllowedPaths.Count == 0)
        {
            errors.Add($"{prefix}:AllowedPaths needs at least one path prefix (e.g. {prefix}:AllowedPaths:0=/items, or / to allow every path).");
        }

        for (var i = 0; i < upstream.AllowedPaths.Count; i++)
        {
            if (!RequestPath.IsValidAllowedPrefix(upstream.AllowedPaths[i]))
            {
                errors.Add($"{prefix}:AllowedPaths:{i} must start with '/' and contain no '..', '//', '\\', '%', '?' or '#'.");
            }
        }

        for (var i = 0; i < upstream.ForwardedHeaders.Count; i++)
        {
            if (!HeaderRules.IsValidName(upstream.ForwardedHeaders[i]))
            {
                errors.Add($"{prefix}:ForwardedHeaders:{i} is not a valid HTTP header name.");
            }
            else if (HeaderForwarding.IsNeverForwarded(upstream.ForwardedHeaders[i]))
            {
                errors.Add($"{prefix}:ForwardedHeaders:{i} '{upstream.ForwardedHeaders[i]}' is set by the service itself and cannot be forwarded from callers.");
            }
        }

        CredentialValidator.Validate(prefix, upstream, errors);
        ResilienceOptionsValidator.Validate($"{prefix}:Resilience", upstream.Resilience, errors);

        if (upstream.MaxResponseBodyBytes <= 0)
        {
            errors.Add($"{prefix}:MaxResponseBodyBytes must be greater than 0.");
        }

        CacheOptionsValidator.Validate($"{prefix}:Cache", upstream.Cache, errors);
    }
}
