using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Intermediary.Simulator.Entra;

/// <summary>
/// GET /msi/token: the App Service / Functions managed identity endpoint (api-version 2019-08-01) that
/// Azure.Identity calls when IDENTITY_ENDPOINT and IDENTITY_HEADER are set. A token for the demo API's audience
/// is a JWT the gateway accepts; a token for Entra's token-exchange audience is the federated assertion.
/// </summary>
internal sealed class ManagedIdentityEndpoint(SimulatorOptions options, AccessTokenIssuer issuer)
{
    private const string TokenExchangeAudience = "api://AzureADTokenExchange";
    private readonly ConcurrentQueue<string> _identities = new();
    private int _requests;

    public int RequestCount => Volatile.Read(ref _requests);

    /// <summary>The identity each accepted request asked for: a user-assigned client id, or "system".</summary>
    public IReadOnlyCollection<string> IdentitiesAsked => _identities;

    public async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var request = context.Request;
        if (request.Headers["X-IDENTITY-HEADER"] != options.ManagedIdentityHeader)
        {
            await Problem(context, StatusCodes.Status401Unauthorized, "The X-IDENTITY-HEADER is missing or wrong.");
            return;
        }

        var userAssigned = request.Query["client_id"].ToString();
        if (userAssigned.Length > 0 && !options.UserAssignedIdentityClientIds.Contains(userAssigned, StringComparer.OrdinalIgnoreCase))
        {
            await Problem(context, StatusCodes.Status400BadRequest, $"No managed identity with client id '{userAssigned}' is assigned to this app.");
            return;
        }

        var clientId = userAssigned.Length > 0 ? userAssigned : options.ManagedIdentityClientId;
        _identities.Enqueue(userAssigned.Length > 0 ? userAssigned : "system");
        var resource = request.Query["resource"].ToString().TrimEnd('/');
        string? token = resource switch
        {
            _ when resource == options.Audience.TrimEnd('/') => issuer.Issue(options.TenantId, clientId, certificateCredential: false),
            TokenExchangeAudience => options.FederatedAssertion,
            _ => null,
        };
        if (token is null)
        {
            await Problem(context, StatusCodes.Status400BadRequest, $"No token can be issued for resource '{resource}'.");
            return;
        }

        var expiresOn = options.TimeProvider.GetUtcNow().Add(options.TokenLifetime).ToUnixTimeSeconds();
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(new JsonObject
        {
            ["access_token"] = token,
            ["expires_on"] = expiresOn.ToString(CultureInfo.InvariantCulture),
            ["resource"] = resource,
            ["token_type"] = "Bearer",
            ["client_id"] = clientId,
        }, context.RequestAborted);
    }

    private static Task Problem(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new JsonObject { ["statusCode"] = status, ["message"] = message }, context.RequestAborted);
    }
}
