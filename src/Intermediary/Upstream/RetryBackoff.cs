namespace Intermediary.Upstream;

/// <summary>
/// The retry arithmetic without per-call state: how long to wait before a retry, and whether that wait still fits the
/// call's budget. Pure functions of their arguments (the jitter sample is passed in), so each is tested on its own.
/// </summary>
internal static class RetryBackoff
{
    /// <summary>
    /// Exponential backoff with "equal jitter": the step is <paramref name="baseDelay"/> doubled per retry, capped at
    /// <paramref name="maxDelay"/>; half of it is fixed and half scaled by <paramref name="jitter"/> (in [0, 1)), so
    /// retries spread out without ever coming back sooner than half a step.
    /// </summary>
    public static TimeSpan Delay(int retryIndex, TimeSpan baseDelay, TimeSpan maxDelay, double jitter)
    {
        var exponential = baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retryIndex, 30));
        var step = Math.Min(exponential, maxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((step / 2) + (jitter * step / 2));
    }

    /// <summary>The wait before the next attempt: the backoff, or the upstream's <c>Retry-After</c> when it asks for longer.</summary>
    public static TimeSpan Wait(TimeSpan backoff, TimeSpan? retryAfter) =>
        retryAfter is { } asked && asked > backoff ? asked : backoff;

    /// <summary>
    /// Whether a retry after <paramref name="wait"/> can still start inside the budget. One that would start when the
    /// budget ends (or later) is not worth waiting for: the caller is answered now and told when to come back.
    /// </summary>
    public static bool FitsBudget(TimeSpan elapsed, TimeSpan wait, TimeSpan budget) => elapsed + wait < budget;
}
