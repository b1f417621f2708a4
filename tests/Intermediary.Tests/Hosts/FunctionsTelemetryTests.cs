using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Hosts;

/// <summary>
/// Under the real Functions host, the worker exports the core's spans and metrics through OpenTelemetry (OTLP here,
/// switched on by the standard OTEL_EXPORTER_OTLP_ENDPOINT setting, exactly as on the Server host).
/// </summary>
[Trait("Category", "FunctionsHost")]
public sealed class FunctionsTelemetryTests
{
    [Fact]
    public async Task A_calls_span_and_metrics_reach_the_otlp_endpoint()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions());
        var settings = SimulatorUpstream.Settings(simulator, "demo", "/items");
        settings["Intermediary:Jobs:Store"] = "Memory";
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.AbsoluteUri.TrimEnd('/');
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        settings["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        settings["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
        await using var host = await FunctionsHost.StartAsync(simulator, settings);

        var response = await host.CallAsync(HttpMethod.Get, "api/call/demo/items");

        Assert.True(response.Ok, response.ToString());
        // The trace the upstream call was sent in is the trace of the exported span.
        var traceparent = simulator.Requests.Last(r => r.PathAndQuery.StartsWith("/demo/items", StringComparison.Ordinal)).Headers["traceparent"];
        var traceId = Convert.FromHexString(traceparent.Split('-')[1]);
        await Eventually.True(() => receiver.Received("traces", "upstream call") && receiver.Received("traces", traceId), "the upstream call's span was exported");
        await Eventually.True(() => receiver.Received("traces", "intermediary.code") && receiver.Received("traces", "Ok"), "the span carries the envelope code");
        await Eventually.True(() => receiver.Received("metrics", "intermediary.upstream.calls"), "the call counter was exported");
        await Eventually.True(() => receiver.Received("metrics", "intermediary.tokens.acquisitions"), "the token counter was exported");
    }
}
