using System.Collections.Concurrent;

namespace Intermediary.Simulator.Faults;

internal readonly record struct RateLimitDecision(bool Allowed, int Remaining, TimeSpan RetryAfter);

/// <summary>APIM rate-limit-by-key: a fixed window per key that starts with the first call after the previous one ended.</summary>
internal sealed class RateLimitWindows
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public RateLimitDecision Acquire(string key, DateTimeOffset now, int limit, TimeSpan period)
    {
        var window = _windows.GetOrAdd(key, _ => new Window());
        lock (window.Gate)
        {
            if (window.Start is not { } start || now >= start + period)
            {
                window.Start = start = now;
                window.Calls = 0;
            }

            if (window.Calls < limit)
            {
                window.Calls++;
                return new RateLimitDecision(true, limit - window.Calls, TimeSpan.Zero);
            }

            return new RateLimitDecision(false, 0, start + period - now);
        }
    }

    public void Reset() => _windows.Clear();

    private sealed class Window
    {
        public Lock Gate { get; } = new();

        public DateTimeOffset? Start { get; set; }

        public int Calls { get; set; }
    }
}
