using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Entra;

/// <summary>
/// POST /{tenant}/oauth2/v2.0/token, with Entra's validation order and errors: the client credentials grant, the
/// on-behalf-of grant (a user's token for the service exchanged for one for the demo API) and the refresh-token
/// grant that keeps a long-running on-behalf-of session going.
/// </summary>
internal sealed class TokenEndpoint(
    SimulatorOptions options,
    TokenEndpointScript script,
    AccessTokenIssuer issuer,
    JwtSigner signer,
    UserDirectory users,
    SimulatorAddresses addresses,
    EntraErrorWriter errors)
{
    private const string DefaultScopeSuffix = "/.default";
    private const string ClientCredentialsGrant = "client_credentials";
    private const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    private const string RefreshTokenGrant = "refresh_token";

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
        var (error, form, certificateCredential) = await ValidateClientAsync(context, tenant, cancellationToken);
        if (error is not null)
        {
            await errors.WriteAsync(context, error);
            return;
        }

        var (grantError, response) = form!["grant_type"].ToString() switch
        {
            ClientCredentialsGrant => ClientCredentials(form, tenant, certificateCredential),
            JwtBearerGrant => OnBehalfOf(form, tenant),
            _ => Refresh(form, tenant),
        };
        if (grantError is not null)
        {
            await errors.WriteAsync(context, grantError);
            return;
        }

        context.Response.Headers.CacheControl = "no-store, no-cache";
        context.Response.Headers.Pragma = "no-cache";
        context.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        await context.Response.WriteAsJsonAsync(response, EntraJsonContext.Literal.TokenResponse, contentType: null, cancellationToken);
    }

    private (EntraError?, TokenResponse?) ClientCredentials(IFormCollection form, string tenant, bool certificateCredential)
    {
        if (CheckScope(form["scope"].ToString(), tenant) is { } scopeError)
        {
            return (scopeError, null);
        }

        var lifetime = (long)options.TokenLifetime.TotalSeconds;
        return (null, new TokenResponse("Bearer", lifetime, lifetime, issuer.Issue(options.TenantId, options.ClientId, certificateCredential)));
    }

    /// <summary>The on-behalf-of grant: the assertion must be a live user token of this tenant issued for the presenting client.</summary>
    private (EntraError?, TokenResponse?) OnBehalfOf(IFormCollection form, string tenant)
    {
        var tokenUse = form["requested_token_use"].ToString();
        if (tokenUse.Length == 0)
        {
            return (EntraError.MissingParameter("requested_token_use"), null);
        }

        if (tokenUse != "on_behalf_of")
        {
            return (EntraError.UnsupportedTokenUse(tokenUse), null);
        }

        var assertion = form["assertion"].ToString();
        if (assertion.Length == 0)
        {
            return (EntraError.MissingParameter("assertion"), null);
        }

        if (!CompactJwt.TryParse(assertion, out var jwt) || !signer.Verify(jwt)
            || CompactJwt.GetString(jwt.Payload, "iss") != addresses.Issuer(options.TenantId))
        {
            return (EntraError.AssertionInvalid("Assertion failed signature validation."), null);
        }

        var now = options.TimeProvider.GetUtcNow();
        if (CompactJwt.GetNumericDate(jwt.Payload, "exp") is not { } expires || expires <= now.ToUnixTimeSeconds())
        {
            return (EntraError.AssertionExpired(now, DateTimeOffset.FromUnixTimeSeconds(CompactJwt.GetNumericDate(jwt.Payload, "exp") ?? 0)), null);
        }

        var audience = CompactJwt.GetStrings(jwt.Payload, "aud") is [var first, ..] ? first : string.Empty;
        if (!string.Equals(audience, options.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            return (EntraError.AssertionInvalid(
                $"Assertion audience does not match the client app presenting the assertion. The audience in the assertion was '{audience}' and the expected audience is '{options.ClientId}'."), null);
        }

        if (CompactJwt.GetString(jwt.Payload, "scp") is null || users.FindByObjectId(CompactJwt.GetString(jwt.Payload, "oid")) is not { } user)
        {
            return (EntraError.AssertionInvalid("The assertion is not a user's token; the on-behalf-of flow exchanges delegated tokens only."), null);
        }

        return IssueForUser(form, tenant, user);
    }

    /// <summary>The refresh-token grant: a token issued by an earlier exchange, used once (rotated), still subject to the user's policies.</summary>
    private (EntraError?, TokenResponse?) Refresh(IFormCollection form, string tenant)
    {
        var refreshToken = form["refresh_token"].ToString();
        if (refreshToken.Length == 0)
        {
            return (EntraError.MissingParameter("refresh_token"), null);
        }

        if (users.Redeem(refreshToken, form["client_id"].ToString()) is not { } grant || users.FindByObjectId(grant.UserObjectId) is not { } user)
        {
            return (EntraError.RefreshTokenExpired(), null);
        }

        return IssueForUser(form, tenant, user, grant);
    }

    private (EntraError?, TokenResponse?) IssueForUser(IFormCollection form, string tenant, SimulatedUser user, RefreshGrant? redeemed = null)
    {
        var requested = form["scope"].ToString();
        var (scopeError, granted) = CheckDelegatedScope(requested, tenant);
        if (scopeError is not null)
        {
            return (scopeError, null);
        }

        var challenge = users.ChallengeFor(user) switch
        {
            UserChallenge.ConsentRequired => EntraError.ConsentRequired(options.ClientId, options.Audience),
            UserChallenge.MfaRequired => EntraError.MfaRequired(options.Audience),
            UserChallenge.Blocked => EntraError.BlockedByConditionalAccess(),
            _ => null,
        };
        if (challenge is not null)
        {
            return (challenge, null);
        }

        users.CountExchange();
        var clientId = form["client_id"].ToString();
        var lifetime = (long)options.TokenLifetime.TotalSeconds;
        var offline = requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains("offline_access", StringComparer.OrdinalIgnoreCase);
        return (null, new TokenResponse("Bearer", lifetime, lifetime, issuer.IssueForApi(user, clientId, granted!))
        {
            // The API scopes as asked (a /.default request is answered as /.default), which is what MSAL looks its cache up by.
            Scope = string.Join(' ', requested.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => !IgnoredScopes.Contains(s))),
            RefreshToken = offline ? users.IssueRefreshToken(user, clientId, requested, redeemed) : null,
            ClientInfo = form["client_info"] == "1" ? ClientInfo(user) : null,
        });
    }

    private async Task<(EntraError? Error, IFormCollection? Form, bool CertificateCredential)> ValidateClientAsync(
        HttpContext context,
        string tenant,
        CancellationToken cancellationToken)
    {
        if (!string.Equals(tenant, options.TenantId, StringComparison.OrdinalIgnoreCase))
        {
            return (EntraError.UnknownTenant(tenant), null, false);
        }

        if (!context.Request.HasFormContentType)
        {
            return (EntraError.MissingParameter("grant_type"), null, false);
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var grantType = form["grant_type"].ToString();
        if (grantType.Length == 0)
        {
            return (EntraError.MissingParameter("grant_type"), null, false);
        }

        if (grantType is not (ClientCredentialsGrant or JwtBearerGrant or RefreshTokenGrant))
        {
            return (EntraError.UnsupportedGrantType(grantType), null, false);
        }

        var clientId = form["client_id"].ToString();
        if (clientId.Length == 0)
        {
            return (EntraError.MissingParameter("client_id"), null, false);
        }

        if (!string.Equals(clientId, options.ClientId, StringComparison.OrdinalIgnoreCase))
        {
            return (EntraError.UnknownClient(clientId, tenant), null, false);
        }

        var credentialError = CheckCredential(form, tenant, out var certificateCredential);
        return (credentialError, form, certificateCredential);
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

    /// <summary>
    /// A user flow's scopes: the demo API's <c>/.default</c> (every scope it has, Items.Read and Items.ReadWrite) or
    /// named scopes of it; the OpenID Connect scopes MSAL adds are not granted as API scopes.
    /// </summary>
    private (EntraError? Error, string? Granted) CheckDelegatedScope(string scope, string tenant)
    {
        var requested = scope.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => !IgnoredScopes.Contains(s))
            .ToArray();
        var prefix = options.Audience + "/";
        if (requested.FirstOrDefault(s => !s.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) is { } foreign)
        {
            var slash = foreign.LastIndexOf('/');
            return (slash > 0 ? EntraError.UnknownResource(foreign[..slash], tenant) : EntraError.InvalidDelegatedScope(scope), null);
        }

        var names = requested.Select(s => s[prefix.Length..]).ToArray();
        if (names.Length == 0 || names.Any(name => name.Length == 0))
        {
            return (EntraError.InvalidDelegatedScope(scope), null);
        }

        return (null, names is [".default"] ? "Items.Read Items.ReadWrite" : string.Join(' ', names));
    }

    private string ClientInfo(SimulatedUser user) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["uid"] = user.ObjectId, ["utid"] = options.TenantId }));

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
