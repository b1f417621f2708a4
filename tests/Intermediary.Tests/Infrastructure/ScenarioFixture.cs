using Intermediary.Server;
using Intermediary.Simulator;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// A simulator and one host configured identically for the shared scenario suite: upstream <c>demo</c> (the tour's
/// paths, millisecond backoff), <c>tight</c> (a 30 s budget, shorter than APIM's rate-limit window) and
/// <c>hasty</c> (1 s attempts within a 3 s budget, for timeouts), in-memory jobs.
/// </summary>
public abstract class ScenarioFixture : IAsyncLifetime
{
    public const int MaxRequestBodyBytes = 64 * 1024;

    public ApimSimulator Simulator { get; private set; } = null!;

    public IScenarioHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Simulator = await ApimSimulator.StartAsync(new SimulatorOptions());
        Host = await StartHostAsync(Simulator, Settings(Simulator));
    }

    public virtual async Task DisposeAsync()
    {
        await ((IAsyncDisposable)Host).DisposeAsync();
        await Simulator.DisposeAsync();
    }

    protected abstract Task<IScenarioHost> StartHostAsync(ApimSimulator simulator, Dictionary<string, string?> settings);

    private static Dictionary<string, string?> Settings(ApimSimulator simulator)
    {
        var settings = SimulatorUpstream.Settings(simulator, "demo", "/items", "/faults", "/echo", "/jobs", "/lro");
        foreach (var (key, value) in SimulatorUpstream.Settings(simulator, "tight", "/faults")
            .Concat(SimulatorUpstream.Settings(simulator, "hasty", "/faults"))
            .Concat(SimulatorUpstream.Settings(simulator, "cached", "/items"))
            .Concat(SimulatorUpstream.OnBehalfOfSettings(simulator, "user", "/whoami")))
        {
            settings[key] = value;
        }

        settings["Intermediary:MaxRequestBodyBytes"] = $"{MaxRequestBodyBytes}";
        settings["Intermediary:Jobs:Store"] = "Memory";
        settings["Intermediary:Jobs:PollInterval"] = "00:00:01";
        foreach (var upstream in new[] { "demo", "tight", "hasty" })
        {
            settings[$"Intermediary:Upstreams:{upstream}:Resilience:BaseDelay"] = "00:00:00.010";
            settings[$"Intermediary:Upstreams:{upstream}:Resilience:MaxDelay"] = "00:00:00.050";
        }

        settings["Intermediary:Upstreams:tight:Resilience:TotalTimeout"] = "00:00:30";
        settings["Intermediary:Upstreams:hasty:Resilience:AttemptTimeout"] = "00:00:01";
        settings["Intermediary:Upstreams:hasty:Resilience:TotalTimeout"] = "00:00:03";
        settings["Intermediary:Upstreams:cached:Cache:Paths:0"] = "/items";
        settings["Intermediary:Upstreams:cached:Cache:Ttl"] = "00:01:00";
        return settings;
    }
}

/// <summary>The Server host in this process, on a free loopback port.</summary>
public sealed class ServerScenarioFixture : ScenarioFixture
{
    protected override async Task<IScenarioHost> StartHostAsync(ApimSimulator simulator, Dictionary<string, string?> settings) =>
        await IntermediaryHost.StartAsync(simulator, settings);
}

/// <summary>
/// The Functions app under a Functions host process (which trusts the simulator's certificate as func start does),
/// with a telemetry pipeline as every deployment has.
/// </summary>
public sealed class FunctionsScenarioFixture : ScenarioFixture
{
    private OtlpReceiver? _telemetry;

    protected override async Task<IScenarioHost> StartHostAsync(ApimSimulator simulator, Dictionary<string, string?> settings)
    {
        // Telemetry on, as in every deployment (the Bicep template always sets Application Insights): the worker's
        // activities, and so trace propagation to the upstream, exist only with a telemetry pipeline.
        _telemetry = await OtlpReceiver.StartAsync();
        settings["OTEL_EXPORTER_OTLP_ENDPOINT"] = _telemetry.Endpoint.AbsoluteUri.TrimEnd('/');
        settings["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        return await FunctionsHost.StartAsync(simulator, settings);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_telemetry is not null)
        {
            await _telemetry.DisposeAsync();
        }
    }
}
