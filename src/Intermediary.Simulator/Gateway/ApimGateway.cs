using Intermediary.Simulator.Api;
using Intermediary.Simulator.Entra;
using Intermediary.Simulator.Hosting;
using Microsoft.Net.Http.Headers;

namespace Intermediary.Simulator.Gateway;

/// <summary>
/// Everything under /demo: APIM's operation matching, subscription key and validate-jwt checks, in APIM's order,
/// before the request reaches the demo API backend.
/// </summary>
internal sealed class ApimGateway(
    SimulatorOptions options,
    GatewayTraffic traffic,
    JwtValidationPolicy jwtPolicy,
    BackendScript backend,
    Faults.RateLimitWindows rateLimits,
    DemoApi api)
{
    public const string RequestIdHeader = "x-ms-request-id";

    public async Task HandleAsync(HttpContext context)
    {
        traffic.CountGatewayRequest(context);
        context.Response.Headers[RequestIdHeader] = Guid.NewGuid().ToString();

        // APIM matches the operation before running its policies, so an unknown operation is a 404 even without a key.
        var apiPath = context.Request.Path.Value ?? string.Empty;
        var operation = api.Match(context.Request.Method, apiPath);
        if (operation is null)
        {
            await ApimResponses.WriteErrorAsync(context, StatusCodes.Status404NotFound, "Resource not found");
            return;
        }

        var keyRejection = CheckSubscriptionKey(context.Request);
        if (keyRejection is not null)
        {
            await ApimResponses.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, keyRejection);
            return;
        }

        var jwtRejection = options.RequireBearerToken ? jwtPolicy.Validate(context.Request.Headers.Authorization) : null;
        if (jwtRejection is not null)
        {
            context.Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer error=\"invalid_token\"";
            await ApimResponses.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, jwtRejection);
            return;
        }

        if (options.ApiRateLimitCalls is { } limit)
        {
            var key = SubscriptionKey.Read(context.Request) ?? string.Empty;
            var decision = rateLimits.Acquire("api|" + key, options.TimeProvider.GetUtcNow(), limit, options.RateLimitPeriod);
            if (!decision.Allowed)
            {
                await ApimResponses.WriteRateLimitedAsync(context, decision.RetryAfter);
                return;
            }
        }

        if (options.UserRateLimitCalls is { } perUser && UserObjectId(context.Request) is { } objectId)
        {
            var decision = rateLimits.Acquire("user|" + objectId, options.TimeProvider.GetUtcNow(), perUser, options.RateLimitPeriod);
            if (!decision.Allowed)
            {
                await ApimResponses.WriteRateLimitedAsync(context, decision.RetryAfter);
                return;
            }
        }

        traffic.RecordApiRequest(context.Request, apiPath);
        traffic.EnterBackend();
        try
        {
            await backend.WaitWhileHeldAsync(context.RequestAborted);
            await operation(context);
        }
        finally
        {
            traffic.ExitBackend();
        }
    }

    // APIM rate-limit-by-key with the token's "oid" as the counter key; only delegated (user) tokens carry "scp".
    private static string? UserObjectId(HttpRequest request) =>
        BearerToken.Read(request) is { } jwt && CompactJwt.GetString(jwt.Payload, "scp") is not null
            ? CompactJwt.GetString(jwt.Payload, "oid")
            : null;

    private string? CheckSubscriptionKey(HttpRequest request)
    {
        var key = SubscriptionKey.Read(request);
        if (key is null)
        {
            return "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.";
        }

        return Secret.Matches(key, options.SubscriptionKey)
            ? null
            : "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.";
    }
}
