using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Entra;

/// <summary>POST /{tenant}/oauth2/v2.0/token: the client credentials grant, with Entra's validation order and errors.</summary>
internal sealed class TokenEndpoint(
    SimulatorOptions options,
    TokenEndpointScript script,
    AccessTokenIssuer issuer,
    EntraErrorWriter errors)
{
    private const string DefaultScopeSuffix = "/.default";

    // MSAL may add OpenID Connect scopes to any request; Entra ignores them for the client credentials grant.
    private static readonly HashSet<string> IgnoredScopes = new(StringComparer.OrdinalIgnoreCase) { "openid", "profile", "offline_access" };

    public async Task HandleAsync(HttpContext context)
    {
        script.CountRequest();
        var cancellationToken = context.RequestAborted;
        await script.WaitWhileHeldAsync(cancellationToken);

        if (script.Fault is { } fault)
        {
            await errors.WriteAsync(context, new EntraError(fault.StatusCode, fault.Error, fault.AadstsCode, fault.Description));
            return;
        }

        var tenant = context.GetRouteValue("tenant") as string ?? string.Empty;
        var (error, certificateCredential) = await ValidateAsync(context, tenant, cancellationToken);
        if (error is not null)
        {
            await errors.WriteAsync(context, error);
            return;
        }

        var lifetime = (long)options.TokenLifetime.TotalSeconds;
        var token = issuer.Issue(options.TenantId, options.ClientId, certificateCredential);
        context.Response.Headers.CacheControl = "no-store, no-cache";
        context.Response.Headers.Pragma = "no-cache";
        context.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsJsonAsync(
            new TokenResponse("Bearer", lifetime, lifetime, token),
            EntraJsonContext.Literal.TokenResponse,
            contentType: null,
            cancellationToken);
    }

    private async Task<(EntraError? Error, bool CertificateCredential)> ValidateAsync(
        HttpContext context,
        string tenant,
        CancellationToken cancellationToken)
    {
        if (!string.Equals(tenant, options.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            return (EntraError.UnknownTenant(tenant), false);
        }

        if (!context.Request.HasFormContentType)
        {
            return (EntraError.MissingParameter("grant_type"), false);
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var grantType = form["grant_type"].ToString();
        if (grantType.Length == 0)
        {
            return (EntraError.MissingParameter("grant_type"), false);
        }

        if (grantType != "client_credentials")
        {
            return (EntraError.UnsupportedGrantType(grantType), false);
        }

        var clientId = form["client_id"].ToString();
        if (clientId.Length == 0)
        {
            return (EntraError.MissingParameter("client_id"), false);
        }

        if (!string.Equals(clientId, options.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            return (EntraError.UnknownClient(clientId, tenant), false);
        }

        var credentialError = CheckCredential(form, tenant, out var certificateCredential);
        if (credentialError is not null)
        {
            return (credentialError, false);
        }

        return (CheckScope(form["scope"].ToString(), tenant), certificateCredential);
    }

    private EntraError? CheckCredential(IFormCollection form, string tenant, out bool certificateCredential)
    {
        certificateCredential = false;
        if (Secret.Matches(form["client_secret"].ToString(), options.ClientSecret))
        {
            return null;
        }

        var assertion = form["client_assertion"].ToString();
        if (assertion.Length == 0)
        {
            return EntraError.InvalidClientSecret(options.ClientId);
        }

        var rejection = ClientAssertionValidator.Validate(assertion, form["client_assertion_type"].ToString(), tenant, options);
        if (rejection is not null)
        {
            return EntraError.InvalidClientAssertion(rejection);
        }

        certificateCredential = true;
        return null;
    }

    private EntraError? CheckScope(string scope, string tenant)
    {
        var requested = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => !IgnoredScopes.Contains(s))
            .ToArray();
        if (requested.Length != 1 || !requested[0].EndsWith(DefaultScopeSuffix, StringComparison.Ordinal))
        {
            return EntraError.InvalidScope(scope);
        }

        var resource = requested[0][..^DefaultScopeSuffix.Length];
        return string.Equals(resource, options.Audience, StringComparison.OrdinalIgnoreCase)
            ? null
            : EntraError.UnknownResource(resource, tenant);
    }
}
