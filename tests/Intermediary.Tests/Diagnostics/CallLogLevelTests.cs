using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Diagnostics;

/// <summary>
/// Log levels per call: a successful call writes nothing at Information (ours and Polly's lines are Debug), a failed
/// one is logged at Information, a retried attempt at Warning. Under load a console line per success was a quarter
/// of the CPU per request (bench/README.md).
/// </summary>
public sealed class CallLogLevelTests : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync();
        // The retry's backoff runs on the test clock, advanced by the host's CallAsync.
        // Everything down to Debug is captured, so the tests see which level each line was written at.
        _host = await IntermediaryHost.StartAsync(_simulator, new() { ["Logging:LogLevel:Default"] = "Debug" }, clock: new TestClock());
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task A_success_is_logged_at_Debug_and_nothing_about_it_at_Information()
    {
        var response = await _host.GetAsync("api/call/demo/items/1");
        Assert.Contains("\"ok\":true", response.Body, StringComparison.Ordinal);

        var lines = CallLines();
        Assert.Contains(lines, l => l.StartsWith("Debug Intermediary.Upstream.UpstreamClient: Upstream demo GET /items/1 answered 200 → Ok", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Debug Polly: Execution attempt", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Debug Polly: Resilience pipeline executed", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => !l.StartsWith("Debug ", StringComparison.Ordinal) && !l.StartsWith("Trace ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failure_is_logged_at_Information_with_the_correlation_id_in_scope()
    {
        var response = await _host.GetAsync("api/call/demo/items/missing");
        using var envelope = System.Text.Json.JsonDocument.Parse(response.Body);
        var correlationId = envelope.RootElement.GetProperty("correlationId").GetString();

        Assert.Contains(CallLines(), l => l.StartsWith("Information Intermediary.Upstream.UpstreamClient: Upstream demo GET /items/missing answered 404 → NotFound", StringComparison.Ordinal)
            && l.Contains($"CorrelationId:{correlationId}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_retried_attempt_keeps_Pollys_Warning()
    {
        var response = await _host.GetAsync($"api/call/demo/faults/flaky?failures=1&status=503&key={Guid.NewGuid():N}");
        Assert.Contains("\"attempts\":2", response.Body, StringComparison.Ordinal);

        var lines = CallLines();
        Assert.Contains(lines, l => l.StartsWith("Warning Polly: Execution attempt", StringComparison.Ordinal) && l.Contains("Handled: 'True'", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Debug Intermediary.Upstream.UpstreamClient:", StringComparison.Ordinal) && l.Contains("after 2 attempt(s)", StringComparison.Ordinal));
    }

    private List<string> CallLines() =>
        _host.Logs.Lines.Where(l => l.Contains(" Polly:", StringComparison.Ordinal) || l.Contains(" Intermediary.Upstream.", StringComparison.Ordinal)).ToList();
}
