using System.Collections.Concurrent;

namespace Intermediary.Tokens;

/// <summary>
/// Runs at most one operation per key at a time: concurrent callers for the same key await the same task.
/// The entry is removed when the task ends, so failures are never cached and the next caller tries again.
/// </summary>
internal sealed class SingleFlight<TKey, TResult>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TResult>>> _inFlight = new();

    public int InFlightCount => _inFlight.Count;

    /// <summary>
    /// Joins the running operation for <paramref name="key"/> or starts <paramref name="operation"/>. The shared
    /// operation is not cancelled by one caller giving up; each caller's wait is.
    /// </summary>
    public Task<TResult> RunAsync(TKey key, Func<TKey, Task<TResult>> operation, CancellationToken cancellationToken)
    {
        var candidate = new Lazy<Task<TResult>>(() => Start(key, operation), LazyThreadSafetyMode.ExecutionAndPublication);
        var winner = _inFlight.GetOrAdd(key, candidate);
        return winner.Value.WaitAsync(cancellationToken);
    }

    private async Task<TResult> Start(TKey key, Func<TKey, Task<TResult>> operation)
    {
        // Yield first so the Lazy is published before the operation can finish and try to remove it.
        await Task.Yield();
        try
        {
            return await operation(key);
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
        }
    }
}
