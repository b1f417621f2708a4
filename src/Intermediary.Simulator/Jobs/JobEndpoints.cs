using System.Text.Json;
using Intermediary.Simulator.Api;
using Intermediary.Simulator.Gateway;

namespace Intermediary.Simulator.Jobs;

/// <summary>/demo/jobs/*: the work a demo job runs, GET or POST.</summary>
internal sealed class JobEndpoints(SimulatorOptions options)
{
    private const double DefaultSeconds = 1;

    private static readonly JsonElement JsonNull = JsonElement.Parse("null"u8);

    public RequestDelegate? Match(string method, ReadOnlySpan<string> segments) => segments switch
    {
        ["slow"] when HttpMethods.IsGet(method) => context => SlowAsync(context, echoBody: false),
        ["slow"] when HttpMethods.IsPost(method) => context => SlowAsync(context, echoBody: true),
        _ => null,
    };

    private async Task SlowAsync(HttpContext context, bool echoBody)
    {
        if (!RequestInput.TryReadSeconds(context, DefaultSeconds, out var duration))
        {
            await ApiErrors.InvalidParameterAsync(context, RequestInput.SecondsMessage);
            return;
        }

        JsonElement? input = null;
        if (echoBody)
        {
            var (valid, body) = await RequestInput.ReadOptionalJsonAsync(context);
            if (!valid)
            {
                await ApiErrors.InvalidBodyAsync(context);
                return;
            }

            input = body ?? JsonNull;
        }

        // The options' clock, so a test with a fake clock decides when the wait is over.
        var clock = options.TimeProvider;
        await Task.Delay(duration, clock, context.RequestAborted);
        var result = new JobResult(duration.TotalSeconds, clock.GetUtcNow(), input);
        await ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, result, GatewayJsonContext.Literal.JobResult);
    }
}
