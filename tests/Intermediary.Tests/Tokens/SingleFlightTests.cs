using Intermediary.Tokens;

namespace Intermediary.Tests.Tokens;

public sealed class SingleFlightTests
{
    [Fact]
    public async Task Concurrent_callers_for_one_key_share_one_operation()
    {
        var flight = new SingleFlight<string, int>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;

        var callers = Enumerable.Range(0, 100).Select(_ => flight.RunAsync("k", _ => { Interlocked.Increment(ref runs); return gate.Task; }, CancellationToken.None)).ToArray();
        gate.SetResult(42);
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, runs);
        Assert.All(results, r => Assert.Equal(42, r));
    }

    [Fact]
    public async Task Different_keys_run_separately()
    {
        var flight = new SingleFlight<string, string>();

        var results = await Task.WhenAll(flight.RunAsync("a", k => Task.FromResult(k), CancellationToken.None), flight.RunAsync("b", k => Task.FromResult(k), CancellationToken.None));

        Assert.Equal(["a", "b"], results);
    }

    [Fact]
    public async Task A_failure_is_not_remembered()
    {
        var flight = new SingleFlight<string, int>();

        await Assert.ThrowsAsync<InvalidOperationException>(() => flight.RunAsync("k", _ => Task.FromException<int>(new InvalidOperationException()), CancellationToken.None));
        var second = await flight.RunAsync("k", _ => Task.FromResult(7), CancellationToken.None);

        Assert.Equal(7, second);
        Assert.Equal(0, flight.InFlightCount);
    }

    [Fact]
    public async Task One_caller_giving_up_does_not_cancel_the_others()
    {
        var flight = new SingleFlight<string, int>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();

        var first = flight.RunAsync("k", _ => gate.Task, impatient.Token);
        var second = flight.RunAsync("k", _ => gate.Task, CancellationToken.None);
        await impatient.CancelAsync();
        gate.SetResult(1);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.Equal(1, await second);
    }

    [Fact]
    public async Task Waiters_resume_on_their_own_not_one_after_another_on_the_completing_thread()
    {
        var flight = new SingleFlight<string, int>();
        var operation = new TaskCompletionSource<int>();

        var waiters = Enumerable.Range(0, 2).Select(_ => flight.RunAsync("k", _ => operation.Task, CancellationToken.None)).ToArray();

        // The property itself: a task created this way queues each awaiting caller to the thread pool when it
        // completes, instead of running them inline, in turn, on the thread that finished the token request.
        Assert.All(waiters, w => Assert.True(w.CreationOptions.HasFlag(TaskCreationOptions.RunContinuationsAsynchronously)));
        operation.SetResult(5);
        var results = await Task.WhenAll(waiters);
        Assert.Equal([5, 5], results);
    }
}
