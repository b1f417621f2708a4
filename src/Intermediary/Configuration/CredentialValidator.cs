namespace Intermediary.Configuration;

/// <summary>
/// The settings each <see cref="CredentialType"/> needs to get a token for an upstream.
/// Each error names the configuration key that fixes it.
/// </summary>
internal static class CredentialValidator
{
    /// <param name="prefix">The configuration key of <paramref name="upstream"/>, which every message starts with.</param>
    public static void Validate(string prefix, UpstreamOptions upstream, ICollection<string> errors)
    {
        void Require(string? value, string key, string why)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{prefix}:{key} is required {why}.");
            }
        }

        var credential = upstream.Credential;
        if (credential == CredentialType.None)
        {
            return;
        }

        Require(upstream.Scope, nameof(upstream.Scope), "to request a token (e.g. api://<app-id>/.default)");
        if (credential == CredentialType.ManagedIdentity)
        {
            return;
        }

        var why = $"when {prefix}:Credential is {credential}";
        Require(upstream.TenantId, nameof(upstream.TenantId), why);
        Require(upstream.ClientId, nameof(upstream.ClientId), why);
        if (!upstream.AuthorityHost.IsAbsoluteUri || upstream.AuthorityHost.Scheme != "https")
        {
            errors.Add($"{prefix}:AuthorityHost must be an absolute https URL (MSAL only talks to https authorities).");
        }

        switch (credential)
        {
            case CredentialType.ClientSecret:
                Require(upstream.ClientSecret, nameof(upstream.ClientSecret), why);
                break;
            case CredentialType.Certificate when string.IsNullOrWhiteSpace(upstream.CertificatePath) && string.IsNullOrWhiteSpace(upstream.CertificateBase64):
                errors.Add($"{prefix}:CertificatePath or {prefix}:CertificateBase64 is required {why}.");
                break;
            case CredentialType.OnBehalfOf when string.IsNullOrWhiteSpace(upstream.ClientSecret)
                && string.IsNullOrWhiteSpace(upstream.CertificatePath) && string.IsNullOrWhiteSpace(upstream.CertificateBase64):
                errors.Add($"{prefix}:ClientSecret, {prefix}:CertificatePath or {prefix}:CertificateBase64 is required {why} (this service's own credential for the exchange).");
                break;
        }
    }
}
