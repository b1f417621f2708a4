namespace Intermediary.Configuration;

/// <summary>
/// The rules for an upstream's timeouts, retries and circuit breaker.
/// Each error names the configuration key that fixes it.
/// </summary>
internal static class ResilienceOptionsValidator
{
    /// <param name="prefix">The configuration key of <paramref name="resilience"/>, which every message starts with.</param>
    public static void Validate(string prefix, ResilienceOptions resilience, ICollection<string> errors)
    {
        if (resilience.TotalTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{prefix}:TotalTimeout must be positive.");
        }

        if (resilience.AttemptTimeout <= TimeSpan.Zero || resilience.AttemptTimeout > resilience.TotalTimeout)
        {
            errors.Add($"{prefix}:AttemptTimeout must be positive and no longer than {prefix}:TotalTimeout.");
        }

        if (resilience.MaxRetries is < 0 or > ResilienceDefaults.MaxRetriesLimit)
        {
            errors.Add($"{prefix}:MaxRetries must be between 0 and {ResilienceDefaults.MaxRetriesLimit}.");
        }

        if (resilience.BaseDelay <= TimeSpan.Zero || resilience.MaxDelay < resilience.BaseDelay)
        {
            errors.Add($"{prefix}:BaseDelay must be positive and {prefix}:MaxDelay at least as long.");
        }

        if (resilience.CircuitBreakerFailureRatio is <= 0 or > 1)
        {
            errors.Add($"{prefix}:CircuitBreakerFailureRatio must be in (0, 1].");
        }

        if (resilience.CircuitBreakerMinimumThroughput < ResilienceDefaults.MinimumThroughputLimit)
        {
            errors.Add($"{prefix}:CircuitBreakerMinimumThroughput must be at least {ResilienceDefaults.MinimumThroughputLimit}.");
        }

        if (resilience.CircuitBreakerSamplingDuration < ResilienceDefaults.ShortestBreakerDuration
            || resilience.CircuitBreakerBreakDuration < ResilienceDefaults.ShortestBreakerDuration)
        {
            errors.Add($"{prefix}:CircuitBreakerSamplingDuration and CircuitBreakerBreakDuration must be at least 0.5 s.");
        }
    }
}
