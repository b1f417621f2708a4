namespace Intermediary.Simulator.Hosting;

/// <summary>
/// Replaces the console lifetime so the simulator never hooks Ctrl+C or SIGTERM of the process hosting it:
/// its owner (a test, the demo host, Program) decides when it stops.
/// </summary>
internal sealed class InProcessLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
