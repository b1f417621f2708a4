using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Api;

/// <summary>
/// What a test (or the tour) has scripted for the demo backend: holds on its responses, and an outage of the item
/// operations (they answer 503 while it lasts) — the upstream failure a cached answer can stand in for.
/// </summary>
internal sealed class BackendScript(TimeProvider time)
{
    private readonly ResponseHolds _holds = new();
    private long _outageUntilTicks;

    public IDisposable Hold() => _holds.Hold();

    public Task WaitWhileHeldAsync(CancellationToken cancellationToken) => _holds.WaitWhileHeldAsync(cancellationToken);

    /// <summary>Item operations answer 503 for <paramref name="duration"/>, or until <see cref="EndItemsOutage"/> when null.</summary>
    public DateTimeOffset StartItemsOutage(TimeSpan? duration)
    {
        var until = duration is { } length ? time.GetUtcNow() + length : DateTimeOffset.MaxValue;
        Interlocked.Exchange(ref _outageUntilTicks, until.UtcTicks);
        return until;
    }

    public void EndItemsOutage() => Interlocked.Exchange(ref _outageUntilTicks, 0);

    public bool ItemsDown => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _outageUntilTicks);

    public void Reset()
    {
        _holds.Reset();
        EndItemsOutage();
    }
}
