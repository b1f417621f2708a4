using System.Collections.Concurrent;

namespace Intermediary.Tokens;

/// <summary>
/// Runs at most one operation per key at a time: concurrent callers for the same key await the same task.
/// The entry is removed when the operation ends, before its result is handed out, so failures are never cached
/// and the next caller tries again.
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
        Lazy<Task<TResult>>? entry = null;
        entry = new Lazy<Task<TResult>>(() => Start(key, operation, entry!), LazyThreadSafetyMode.ExecutionAndPublication);
        var shared = _inFlight.GetOrAdd(key, entry).Value;
        return shared.IsCompleted ? shared : shared.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The callers' task completes with continuations run asynchronously: each waiter resumes on its own thread-pool
    /// work item instead of all of them, one after another, on the thread that finished the operation.
    /// </summary>
    private Task<TResult> Start(TKey key, Func<TKey, Task<TResult>> operation, Lazy<Task<TResult>> entry)
    {
        var completion = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = CompleteAsync(key, operation, entry, completion);
        return completion.Task;
    }

    private async Task CompleteAsync(TKey key, Func<TKey, Task<TResult>> operation, Lazy<Task<TResult>> entry, TaskCompletionSource<TResult> completion)
    {
        Task<TResult> running;
        try
        {
            running = operation(key);
        }
#pragma warning disable CA1031 // Whatever the operation throws belongs to its callers, like an exception from its task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            running = Task.FromException<TResult>(ex);
        }

        await ((Task)running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        // Only this operation's own entry: a later one under the same key is not ours to remove.
        _inFlight.TryRemove(KeyValuePair.Create(key, entry));
        completion.TrySetFromTask(running);
    }
}
