using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Entra;

/// <summary>The tenant's OpenID Connect metadata, signing keys and MSAL's instance discovery.</summary>
internal sealed class DiscoveryEndpoints(
    SimulatorOptions options,
    SimulatorAddresses addresses,
    JwtSigner signer,
    EntraErrorWriter errors)
{
    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", OpenIdConfigurationAsync);
        endpoints.MapGet("/{tenant}/discovery/v2.0/keys", KeysAsync);
        endpoints.MapGet("/common/discovery/instance", InstanceDiscoveryAsync);
    }

    private Task OpenIdConfigurationAsync(HttpContext context)
    {
        if (!IsKnownTenant(context, out var tenant))
        {
            return errors.WriteAsync(context, EntraError.UnknownTenant(tenant));
        }

        var tenantBase = $"{addresses.HttpsBase}{options.TenantId}";
        var document = new OpenIdConfiguration(
            Issuer: addresses.Issuer(options.TenantId),
            AuthorizationEndpoint: $"{tenantBase}/oauth2/v2.0/authorize",
            TokenEndpoint: addresses.TokenEndpoint(options.TenantId),
            JwksUri: $"{tenantBase}/discovery/v2.0/keys",
            TokenEndpointAuthMethodsSupported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            ResponseTypesSupported: ["code", "id_token", "code id_token", "id_token token"],
            ResponseModesSupported: ["query", "fragment", "form_post"],
            SubjectTypesSupported: ["pairwise"],
            IdTokenSigningAlgValuesSupported: ["RS256"],
            ScopesSupported: ["openid", "profile", "email", "offline_access"],
            GrantTypesSupported: ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer", "refresh_token"],
            RequestUriParameterSupported: false,
            CloudInstanceName: "simulator");
        return context.Response.WriteAsJsonAsync(document, EntraJsonContext.Literal.OpenIdConfiguration, contentType: null, context.RequestAborted);
    }

    private Task KeysAsync(HttpContext context)
    {
        if (!IsKnownTenant(context, out var tenant))
        {
            return errors.WriteAsync(context, EntraError.UnknownTenant(tenant));
        }

        return context.Response.WriteAsJsonAsync(
            new JsonWebKeySet([signer.PublicKey]),
            EntraJsonContext.Literal.JsonWebKeySet,
            contentType: null,
            context.RequestAborted);
    }

    // MSAL asks this before trusting an Entra-style authority it does not know (unless instance discovery is off).
    private Task InstanceDiscoveryAsync(HttpContext context)
    {
        var host = addresses.HttpsBase.Authority;
        var document = new InstanceDiscovery(
            $"{addresses.HttpsBase}{options.TenantId}/v2.0/.well-known/openid-configuration",
            "1.1",
            [new InstanceDiscoveryMetadata(host, host, [host])]);
        return context.Response.WriteAsJsonAsync(document, EntraJsonContext.Literal.InstanceDiscovery, contentType: null, context.RequestAborted);
    }

    private bool IsKnownTenant(HttpContext context, out string tenant)
    {
        tenant = context.GetRouteValue("tenant") as string ?? string.Empty;
        return string.Equals(tenant, options.TenantId, StringComparison.OrdinalIgnoreCase);
    }
}
