using Intermediary.Simulator;

namespace Intermediary.Tests.Infrastructure;

/// <summary>One simulator and one Server host per test class, sharing a test clock.</summary>
public sealed class SimulatorFixture : IAsyncLifetime
{
    public TestClock Clock { get; } = new();

    public ApimSimulator Simulator { get; private set; } = null!;

    public IntermediaryHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = Clock });
        // "tight": the same API with a 30 s budget, so APIM's ~60 s rate-limit window is beyond it.
        var tight = IntermediaryHost.UpstreamSettings(Simulator, "tight");
        tight["Intermediary:Upstreams:tight:Resilience:TotalTimeout"] = "00:00:30";
        Host = await IntermediaryHost.StartAsync(Simulator, tight, Clock);
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Simulator.DisposeAsync();
    }
}
