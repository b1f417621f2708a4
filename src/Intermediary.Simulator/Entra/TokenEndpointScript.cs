namespace Intermediary.Simulator.Entra;

/// <summary>What a test has scripted for the token endpoint: a fault to answer, holds on responses, and the request count.</summary>
internal sealed class TokenEndpointScript
{
    private readonly Lock _lock = new();
    private int _requestCount;
    private TokenFault? _fault;
    private TaskCompletionSource? _released;
    private int _holds;
    private int _generation;

    public int RequestCount => Volatile.Read(ref _requestCount);

    public TokenFault? Fault
    {
        get => Volatile.Read(ref _fault);
        set => Volatile.Write(ref _fault, value);
    }

    public void CountRequest() => Interlocked.Increment(ref _requestCount);

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

    public void Reset()
    {
        lock (_lock)
        {
            _generation++;
            _holds = 0;
            _released?.TrySetResult();
            _released = null;
        }

        Fault = null;
        Interlocked.Exchange(ref _requestCount, 0);
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

    private sealed class HoldHandle(TokenEndpointScript script, int generation) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                script.Release(generation);
            }
        }
    }
}
