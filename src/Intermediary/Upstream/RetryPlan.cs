using Intermediary.Configuration;
using Polly;

namespace Intermediary.Upstream;

/// <summary>
/// Per-call state the resilience pipeline shares with the attempts: what was tried, how long it took, and why
/// retrying stopped. The retry decision reads that state; its arithmetic (backoff, budget) is <see cref="RetryBackoff"/>'s.
/// </summary>
internal sealed class RetryPlan(UpstreamRequest request, ResilienceOptions options, TimeProvider time, Jitter jitter)
{
    public static readonly ResiliencePropertyKey<RetryPlan> Key = new("Intermediary.RetryPlan");

    private readonly long _started = time.GetTimestamp();

    public UpstreamRequest Request { get; } = request;

    public ResilienceOptions Resilience => options;

    /// <summary>Bytes of the current attempt's response body reserved in <see cref="ResponseBuffers"/>.</summary>
    public long BufferedBytes { get; set; }
    public int Attempts { get; set; }
    /// <summary>The token for the next attempt (null when the upstream needs none).</summary>
    public Tokens.TokenResult? Credential { get; set; }

    public string? Token => Credential?.AccessToken;

    /// <summary>The token the upstream rejected before a forced refresh (still ours: never echoed back to callers).</summary>
    public string? RejectedToken { get; set; }
    public bool TokenRefreshed { get; set; }
    public Tokens.TokenFailure? RefreshFailure { get; set; }

    /// <summary>The wait the next retry will use, decided in <see cref="ShouldRetry"/>.</summary>
    public TimeSpan NextDelay { get; private set; }

    /// <summary>Set when a retry was needed but its wait would have ended past the budget.</summary>
    public TimeSpan? AbandonedWait { get; private set; }

    public TimeSpan Elapsed => time.GetElapsedTime(_started);

    /// <summary>Decides whether the outcome of attempt <paramref name="retryIndex"/> (0-based) is retried.</summary>
    public bool ShouldRetry(Outcome<UpstreamResponse> outcome, int retryIndex, CancellationToken callerToken)
    {
        if (callerToken.IsCancellationRequested)
        {
            return false;
        }

        bool transient;
        bool notProcessed;
        TimeSpan? retryAfter = null;
        if (outcome.Exception is { } exception)
        {
            transient = ResiliencePredicates.IsTransient(exception);
            notProcessed = ResiliencePredicates.RequestNeverSent(exception);
        }
        else if (!ResiliencePredicates.IsTransient(outcome.Result!.StatusCode))
        {
            // Success, client errors and final answers are never retried; skip parsing their bodies on the hot path.
            return false;
        }
        else
        {
            var classification = ErrorClassifier.Classify(outcome.Result!, time.GetUtcNow());
            transient = classification.Retryable;
            retryAfter = classification.RetryAfter;
            notProcessed = ResiliencePredicates.RequestNotProcessed(outcome.Result.StatusCode, retryAfter);
        }

        if (!transient || !(Request.IsRetrySafe || notProcessed) || retryIndex >= options.MaxRetries)
        {
            return false;
        }

        var backoff = RetryBackoff.Delay(retryIndex, options.BaseDelay, options.MaxDelay, jitter.Next());
        var delay = RetryBackoff.Wait(backoff, retryAfter);
        if (!RetryBackoff.FitsBudget(Elapsed, delay, options.TotalTimeout))
        {
            // Waiting would outlive the budget: answer now and tell the caller when to come back.
            AbandonedWait = delay;
            return false;
        }

        NextDelay = delay;
        return true;
    }
}
