using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows which timers are pending, so a test can let the code under test
/// "wait" for a backoff by advancing fake time exactly when it starts waiting — no real sleeps.
/// </summary>
public sealed class TestClock : FakeTimeProvider
{
    private readonly ConcurrentDictionary<TrackedTimer, byte> _pending = new();

    public TestClock()
        : base(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        TrackedTimer? tracked = null;
        var inner = base.CreateTimer(s =>
        {
            if (period == Timeout.InfiniteTimeSpan && tracked is not null)
            {
                _pending.TryRemove(tracked, out _);
            }

            callback(s);
        }, state, dueTime, period);
        tracked = new TrackedTimer(inner, dueTime, this);
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            _pending[tracked] = 0;
        }

        return tracked;
    }

    /// <summary>Time left on pending timers that <paramref name="isWait"/> says are waits (backoffs), not timeouts.</summary>
    public IReadOnlyList<TimeSpan> PendingWaits(Func<TimeSpan, bool> isWait) =>
        _pending.Keys.Where(t => isWait(t.DueTime)).Select(t => t.DueAt - GetUtcNow()).ToList();

    /// <summary>
    /// Runs until <paramref name="task"/> completes, advancing fake time by each backoff wait (a timer whose
    /// duration <paramref name="isWait"/> accepts) as soon as the code under test starts it. Fails if nothing happens for a
    /// long (real) time, so a hang is a test failure rather than a stuck run.
    /// </summary>
    public async Task<T> RunAsync<T>(Task<T> task, Func<TimeSpan, bool> isWait)
    {
        var idleSince = DateTime.UtcNow;
        while (!task.IsCompleted)
        {
            var waits = PendingWaits(isWait);
            if (waits.Count > 0)
            {
                var longest = waits.Max();
                Advance(longest > TimeSpan.Zero ? longest : TimeSpan.FromTicks(1));
                idleSince = DateTime.UtcNow;
            }
            else if (DateTime.UtcNow - idleSince > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The code under test neither finished nor started a backoff wait within 30 s.");
            }

            await Task.WhenAny(task, Task.Delay(2));
        }

        return await task;
    }

    private sealed class TrackedTimer(ITimer inner, TimeSpan dueTime, TestClock owner) : ITimer
    {
        public TimeSpan DueTime { get; private set; } = dueTime;

        public DateTimeOffset DueAt { get; private set; } = owner.GetUtcNow() + (dueTime == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : dueTime);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            DueAt = owner.GetUtcNow() + (dueTime == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : dueTime);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                owner._pending.TryRemove(this, out _);
            }
            else
            {
                owner._pending[this] = 0;
            }

            return inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            owner._pending.TryRemove(this, out _);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            owner._pending.TryRemove(this, out _);
            return inner.DisposeAsync();
        }
    }
}
