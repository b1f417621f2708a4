using System.Collections.Concurrent;

namespace Intermediary.Jobs;

/// <summary>Jobs running in this process, so a cancel request stops them at once rather than at the next heartbeat.</summary>
internal sealed class RunningJobs
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    public IDisposable Register(string jobId, CancellationTokenSource cancellation)
    {
        _running[jobId] = cancellation;
        return new Registration(this, jobId, cancellation);
    }

    public bool TryCancel(string jobId)
    {
        if (!_running.TryGetValue(jobId, out var cancellation))
        {
            return false;
        }

        try
        {
            cancellation.Cancel();
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    private sealed class Registration(RunningJobs owner, string jobId, CancellationTokenSource cancellation) : IDisposable
    {
        public void Dispose() => owner._running.TryRemove(KeyValuePair.Create(jobId, cancellation));
    }
}
