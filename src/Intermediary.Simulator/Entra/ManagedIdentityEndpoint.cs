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
    private int _requests;

    public int RequestCount => Volatile.Read(ref _requests);

    public async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var request = context.Request;
        if (request.Headers["X-IDENTITY-HEADER"] != options.ManagedIdentityHeader)
        {
            await Problem(context, StatusCodes.Status401Unauthorized, "The X-IDENTITY-HEADER is missing or wrong.");
            return;
        }

        var resource = request.Query["resource"].ToString().TrimEnd('/');
        string? token = resource switch
        {
            _ when resource == options.Audience.TrimEnd('/') => issuer.Issue(options.TenantId, options.ManagedIdentityClientId, certificateCredential: false),
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
            ["client_id"] = options.ManagedIdentityClientId,
        }, context.RequestAborted);
    }

    private static Task Problem(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new JsonObject { ["statusCode"] = status, ["message"] = message }, context.RequestAborted);
    }
}
