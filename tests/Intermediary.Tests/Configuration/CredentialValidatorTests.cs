using Intermediary.Configuration;

namespace Intermediary.Tests.Configuration;

/// <summary>What each credential type needs before the service can get a token with it.</summary>
public sealed class CredentialValidatorTests
{
    private const string Prefix = "Intermediary:Upstreams:orders";

    [Fact]
    public void No_credential_needs_nothing() => Assert.Empty(Errors(o => o.Credential = CredentialType.None));

    [Fact]
    public void A_managed_identity_needs_only_a_scope()
    {
        Assert.Equal([$"{Prefix}:Scope is required to request a token (e.g. api://<app-id>/.default)."],
            Errors(o => o.Credential = CredentialType.ManagedIdentity));
        Assert.Empty(Errors(o => (o.Credential, o.Scope) = (CredentialType.ManagedIdentity, "api://orders/.default")));
    }

    [Fact]
    public void A_client_secret_credential_names_each_missing_setting()
    {
        const string why = $"when {Prefix}:Credential is ClientSecret.";

        Assert.Equal(
            [
                $"{Prefix}:Scope is required to request a token (e.g. api://<app-id>/.default).",
                $"{Prefix}:TenantId is required {why}",
                $"{Prefix}:ClientId is required {why}",
                $"{Prefix}:ClientSecret is required {why}",
            ],
            Errors(_ => { }));
        Assert.Empty(Errors(Complete));
    }

    [Theory]
    [InlineData(nameof(UpstreamOptions.TenantId))]
    [InlineData(nameof(UpstreamOptions.ClientId))]
    [InlineData(nameof(UpstreamOptions.ClientSecret))]
    [InlineData(nameof(UpstreamOptions.Scope))]
    public void A_blank_value_counts_as_missing(string key)
    {
        var errors = Errors(o =>
        {
            Complete(o);
            typeof(UpstreamOptions).GetProperty(key)!.SetValue(o, "  ");
        });

        Assert.StartsWith($"{Prefix}:{key} is required", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CredentialType.ClientAssertion)]
    [InlineData(CredentialType.FederatedManagedIdentity)]
    public void Credentials_without_a_secret_of_ours_need_the_app_and_its_tenant_only(CredentialType credential) =>
        Assert.Empty(Errors(o => (o.Credential, o.TenantId, o.ClientId, o.Scope) = (credential, "tenant", "client", "api://orders/.default")));

    [Theory]
    [InlineData("http://login.example/")]
    [InlineData("file:///etc/login")]
    public void MSAL_talks_to_https_authorities_only(string authority) =>
        Assert.Equal([$"{Prefix}:AuthorityHost must be an absolute https URL (MSAL only talks to https authorities)."],
            Errors(o =>
            {
                Complete(o);
                o.AuthorityHost = new Uri(authority);
            }));

    [Fact]
    public void A_certificate_credential_needs_a_file_or_the_certificate_itself()
    {
        void Certificate(UpstreamOptions o) => (o.Credential, o.TenantId, o.ClientId, o.Scope) = (CredentialType.Certificate, "tenant", "client", "api://orders/.default");

        Assert.Equal([$"{Prefix}:CertificatePath or {Prefix}:CertificateBase64 is required when {Prefix}:Credential is Certificate."], Errors(Certificate));
        Assert.Empty(Errors(o => { Certificate(o); o.CertificatePath = "/certs/me.pfx"; }));
        Assert.Empty(Errors(o => { Certificate(o); o.CertificateBase64 = "MIIK"; }));
    }

    [Fact]
    public void On_behalf_of_needs_a_credential_of_the_service_for_the_exchange()
    {
        void OnBehalfOf(UpstreamOptions o) => (o.Credential, o.TenantId, o.ClientId, o.Scope) = (CredentialType.OnBehalfOf, "tenant", "client", "api://orders/.default");

        var error = Assert.Single(Errors(OnBehalfOf));
        Assert.StartsWith($"{Prefix}:ClientSecret, {Prefix}:CertificatePath or {Prefix}:CertificateBase64 is required when {Prefix}:Credential is OnBehalfOf", error, StringComparison.Ordinal);
        Assert.Empty(Errors(o => { OnBehalfOf(o); o.ClientSecret = "placeholder"; }));
        Assert.Empty(Errors(o => { OnBehalfOf(o); o.CertificatePath = "/certs/me.pfx"; }));
        Assert.Empty(Errors(o => { OnBehalfOf(o); o.CertificateBase64 = "MIIK"; }));
    }

    private static void Complete(UpstreamOptions options) =>
        (options.TenantId, options.ClientId, options.ClientSecret, options.Scope) = ("tenant", "client", "placeholder", "api://orders/.default");

    private static List<string> Errors(Action<UpstreamOptions> change) =>
        AreaValidation.Errors<UpstreamOptions>(Prefix, CredentialValidator.Validate, change);
}
