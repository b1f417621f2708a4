using System.Globalization;
using Intermediary.Simulator.Api;
using Intermediary.Simulator.Gateway;

namespace Intermediary.Simulator.Lro;

/// <summary>
/// /demo/lro/*: Azure long-running operations in both polling styles. "operation" answers 202 with an
/// Operation-Location status monitor that reports Running/Succeeded/Failed; "location" answers 202 with a Location
/// that keeps answering 202 until it answers with the result itself.
/// </summary>
internal sealed class LroEndpoints(SimulatorOptions options, LroStore operations)
{
    private const string OperationLocationHeader = "Operation-Location";
    private const string PollAfterSeconds = "1";
    private const double DefaultSeconds = 5;
    private const string Running = "Running";
    private const string Succeeded = "Succeeded";
    private const string Failed = "Failed";
    private const string CompleteMessage = "Operation complete.";

    private static readonly AzureError FailedError = new("OperationFailed", "The simulated operation failed.");

    public RequestDelegate? Match(string method, ReadOnlySpan<string> segments) => segments switch
    {
        ["start"] when HttpMethods.IsPost(method) => StartAsync,
        ["operations", var id] when HttpMethods.IsGet(method) => context => OperationStatusAsync(context, id),
        ["results", var id] when HttpMethods.IsGet(method) => context => ResultAsync(context, id),
        _ => null,
    };

    private async Task StartAsync(HttpContext context)
    {
        if (!RequestInput.TryReadSeconds(context, DefaultSeconds, out var duration))
        {
            await ApiErrors.InvalidParameterAsync(context, RequestInput.SecondsMessage);
            return;
        }

        var style = context.Request.Query["style"].ToString();
        var locationStyle = string.Equals(style, "location", StringComparison.OrdinalIgnoreCase);
        if (!locationStyle && style.Length > 0 && !string.Equals(style, "operation", StringComparison.OrdinalIgnoreCase))
        {
            await ApiErrors.InvalidParameterAsync(context, "style must be 'operation' or 'location'.");
            return;
        }

        if (!RequestInput.TryReadFlag(context, "fail", out var fails))
        {
            await ApiErrors.InvalidParameterAsync(context, "fail must be true or false.");
            return;
        }

        var (valid, input) = await RequestInput.ReadOptionalJsonAsync(context);
        if (!valid)
        {
            await ApiErrors.InvalidBodyAsync(context);
            return;
        }

        var operation = operations.Start(options.TimeProvider.GetUtcNow(), duration, fails, input);
        context.Response.Headers.RetryAfter = PollAfterSeconds;
        if (locationStyle)
        {
            context.Response.Headers.Location = Url(context, "results", operation.Id);
            await WriteAsync(context, StatusCodes.Status202Accepted, new LroStatus(operation.Id, Running));
        }
        else
        {
            // operationLocation=<url> plays an API that points its status monitor somewhere else (for follower tests).
            var pointedTo = context.Request.Query["operationLocation"].ToString();
            context.Response.Headers[OperationLocationHeader] = pointedTo.Length > 0 ? pointedTo : Url(context, "operations", operation.Id);
            await ApimResponses.WriteJsonAsync(
                context,
                StatusCodes.Status202Accepted,
                new LroStarted(operation.Id),
                GatewayJsonContext.Literal.LroStarted);
        }
    }

    private Task OperationStatusAsync(HttpContext context, string id)
    {
        if (operations.Find(id) is not { } operation)
        {
            return NotFoundAsync(context, id);
        }

        var now = options.TimeProvider.GetUtcNow();
        if (operation.IsRunning(now))
        {
            context.Response.Headers.RetryAfter = PollAfterSeconds;
            return WriteAsync(context, StatusCodes.Status200OK, new LroStatus(id, Running, operation.PercentComplete(now)));
        }

        var status = operation.Fails
            ? new LroStatus(id, Failed, Error: FailedError)
            : new LroStatus(id, Succeeded, Result: new LroResult(id, CompleteMessage, operation.Input));
        return WriteAsync(context, StatusCodes.Status200OK, status);
    }

    private Task ResultAsync(HttpContext context, string id)
    {
        if (operations.Find(id) is not { } operation)
        {
            return NotFoundAsync(context, id);
        }

        if (operation.IsRunning(options.TimeProvider.GetUtcNow()))
        {
            context.Response.Headers.RetryAfter = PollAfterSeconds;
            context.Response.Headers.Location = Url(context, "results", id);
            return WriteAsync(context, StatusCodes.Status202Accepted, new LroStatus(id, Running));
        }

        if (operation.Fails)
        {
            return WriteAsync(context, StatusCodes.Status500InternalServerError, new LroStatus(id, Failed, Error: FailedError));
        }

        return ApimResponses.WriteJsonAsync(
            context,
            StatusCodes.Status200OK,
            new LroResult(id, CompleteMessage, operation.Input),
            GatewayJsonContext.Literal.LroResult);
    }

    private static Task WriteAsync(HttpContext context, int status, LroStatus body) =>
        ApimResponses.WriteJsonAsync(context, status, body, GatewayJsonContext.Literal.LroStatus);

    private static Task NotFoundAsync(HttpContext context, string id) =>
        ApiErrors.NotFoundAsync(context, "OperationNotFound", $"Operation '{id}' was not found.");

    // PathBase is "/demo", where the gateway is mapped.
    private static string Url(HttpContext context, string kind, string id)
    {
        var request = context.Request;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{request.Scheme}://{request.Host}{request.PathBase}/lro/{kind}/{Uri.EscapeDataString(id)}");
    }
}
