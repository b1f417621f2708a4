using Intermediary.Diagnostics;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Upstream;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Intermediary.Tests.Diagnostics;

/// <summary>Retries and circuit-breaker transitions are logged and metered through Polly's telemetry, per upstream.</summary>
public sealed class ResilienceTelemetryTests
{
    [Fact]
    public async Task Retries_and_an_opening_circuit_are_counted_and_logged_for_their_upstream()
    {
        // The Polly meter is process-wide: a name of its own keeps other tests' events out of this one's counts.
        var upstream = "telemetry" + Guid.NewGuid().ToString("N")[..8];
        using var events = new MetricCollector<int>((object?)null, IntermediaryDiagnostics.ResilienceMeter, "resilience.polly.strategy.events");
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions());
        var settings = SimulatorUpstream.Settings(simulator, upstream, "/faults");
        settings[$"Intermediary:Upstreams:{upstream}:Resilience:BaseDelay"] = "00:00:00.010";
        settings[$"Intermediary:Upstreams:{upstream}:Resilience:MaxDelay"] = "00:00:00.020";
        settings[$"Intermediary:Upstreams:{upstream}:Resilience:MaxRetries"] = "2";
        settings[$"Intermediary:Upstreams:{upstream}:Resilience:CircuitBreakerMinimumThroughput"] = "3";
        settings[$"Intermediary:Upstreams:{upstream}:Resilience:CircuitBreakerFailureRatio"] = "0.5";
        await using var host = await IntermediaryHost.StartAsync(simulator, settings);

        var recovered = await host.GetAsync($"api/call/{upstream}/faults/flaky?failures=2&key={upstream}");
        var failing = await host.GetAsync($"api/call/{upstream}/faults/status/503");
        var open = await host.GetAsync($"api/call/{upstream}/faults/status/503");

        Assert.Equal(3, recovered.Attempts);
        Assert.Equal("CircuitOpen", open.Code);
        var ours = events.GetMeasurementSnapshot()
            .Where(m => (string?)m.Tags["pipeline.name"] == UpstreamPipelines.PipelineName && (string?)m.Tags["pipeline.instance"] == upstream)
            .Select(m => (string)m.Tags["event.name"]!)
            .ToList();
        // Two retries for the flaky call; one for the failing call, whose 503 opened the circuit (3 failures of 4
        // outcomes), so its retry met the open circuit and it ended CircuitOpen; the last call was refused at once.
        Assert.Equal("CircuitOpen", failing.Code);
        Assert.Equal(3, ours.Count(e => e == "OnRetry"));
        Assert.Equal(1, ours.Count(e => e == "OnCircuitOpened"));
        var logged = host.Logs.Lines.Where(l => l.Contains(upstream, StringComparison.Ordinal)).ToList();
        Assert.Contains(logged, l => l.StartsWith("Warning Polly", StringComparison.Ordinal) && l.Contains("OnRetry", StringComparison.Ordinal));
        Assert.Contains(logged, l => l.StartsWith("Error Polly", StringComparison.Ordinal) && l.Contains("OnCircuitOpened", StringComparison.Ordinal));
    }
}
