using System.Globalization;
using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Entra;

/// <summary>Writes <see cref="EntraError"/>s in Entra's JSON shape, with trace and correlation ids and a timestamp.</summary>
internal sealed class EntraErrorWriter(SimulatorOptions options, SimulatorAddresses addresses)
{
    public Task WriteAsync(HttpContext context, EntraError error)
    {
        var traceId = Guid.NewGuid().ToString();
        // Entra echoes the caller's client-request-id (MSAL sends one) as the correlation id.
        var correlationId = Guid.TryParse(context.Request.Headers["client-request-id"], out var clientRequestId)
            ? clientRequestId.ToString()
            : Guid.NewGuid().ToString();
        var timestamp = options.TimeProvider.GetUtcNow().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var body = new EntraErrorBody(
            error.Error,
            $"{error.Description} Trace ID: {traceId} Correlation ID: {correlationId} Timestamp: {timestamp}",
            [error.Code],
            timestamp,
            traceId,
            correlationId,
            $"{addresses.HttpsBase}error?code={error.Code}")
        {
            Suberror = error.Suberror,
            Claims = error.Claims,
        };

        context.Response.StatusCode = error.StatusCode;
        context.Response.Headers.CacheControl = "no-store, no-cache";
        context.Response.Headers["x-ms-request-id"] = traceId;
        context.Response.Headers["client-request-id"] = correlationId;
        return context.Response.WriteAsJsonAsync(body, EntraJsonContext.Literal.EntraErrorBody, contentType: null, context.RequestAborted);
    }
}
