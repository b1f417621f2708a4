namespace Intermediary.Simulator.Hosting;

/// <summary>
/// Holds a test places on responses: requests that arrive while any handle is open wait until every handle is disposed,
/// so a test decides when "concurrent" requests are answered instead of guessing with delays.
/// </summary>
internal sealed class ResponseHolds
{
    private readonly Lock _lock = new();
    private TaskCompletionSource? _released;
    private int _holds;
    private int _generation;

    public IDisposable Hold()
    {
        lock (_lock)
        {
            _holds++;
            _released ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return new HoldHandle(this, _generation);
        }
    }

    public Task WaitWhileHeldAsync(CancellationToken cancellationToken)
    {
        Task? released;
        lock (_lock)
        {
            released = _released?.Task;
        }

        return released is null ? Task.CompletedTask : released.WaitAsync(cancellationToken);
    }

    /// <summary>Releases every waiting request and forgets the open handles.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _generation++;
            _holds = 0;
            _released?.TrySetResult();
            _released = null;
        }
    }

    private void Release(int generation)
    {
        lock (_lock)
        {
            // A handle taken before Reset must not release holds taken after it.
            if (generation != _generation || _holds == 0)
            {
                return;
            }

            if (--_holds == 0)
            {
                _released?.TrySetResult();
                _released = null;
            }
        }
    }

    private sealed class HoldHandle(ResponseHolds holds, int generation) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                holds.Release(generation);
            }
        }
    }
}
