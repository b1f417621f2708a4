namespace Intermediary.Configuration;

/// <summary>
/// The defaults of <see cref="ResilienceOptions"/> and the limits start-up validation holds them to, named once.
/// Modelled on Microsoft.Extensions.Http.Resilience's standard handler (total 30 s, attempt 10 s, 3 retries from 2 s),
/// with a longer total budget that still ends well before the ~120 s a connector waits for a synchronous answer.
/// </summary>
internal static class ResilienceDefaults
{
    public static readonly TimeSpan TotalTimeout = TimeSpan.FromSeconds(80);
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(20);
    public const int MaxRetries = 4;
    public static readonly TimeSpan BaseDelay = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(20);
    public const double CircuitBreakerFailureRatio = 0.5;
    public const int CircuitBreakerMinimumThroughput = 20;
    public static readonly TimeSpan CircuitBreakerSamplingDuration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CircuitBreakerBreakDuration = TimeSpan.FromSeconds(15);

    /// <summary>More retries than this only turns one failing call into a longer wait for the same answer.</summary>
    public const int MaxRetriesLimit = 10;

    /// <summary>A breaker that opens on fewer calls than this opens on a single unlucky pair.</summary>
    public const int MinimumThroughputLimit = 2;

    /// <summary>Polly's own lower bound for the breaker's sampling and break durations.</summary>
    public static readonly TimeSpan ShortestBreakerDuration = TimeSpan.FromMilliseconds(500);
}
