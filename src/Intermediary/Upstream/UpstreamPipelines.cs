using System.Collections.Concurrent;
using Intermediary.Configuration;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Intermediary.Upstream;

/// <summary>
/// One Polly pipeline per upstream, kept for the process lifetime so the circuit breaker sees every call.
/// Order (outer to inner), as in Microsoft.Extensions.Http.Resilience's standard handler:
/// total budget → retry → circuit breaker → attempt timeout.
/// </summary>
internal sealed class UpstreamPipelines(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline<UpstreamResponse>> _pipelines = new(StringComparer.OrdinalIgnoreCase);

    public ResiliencePipeline<UpstreamResponse> For(string upstream, ResilienceOptions options) =>
        _pipelines.GetOrAdd(upstream, _ => Build(options));

    private ResiliencePipeline<UpstreamResponse> Build(ResilienceOptions options) =>
        new ResiliencePipelineBuilder<UpstreamResponse> { TimeProvider = time }
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.TotalTimeout })
            .AddRetry(new RetryStrategyOptions<UpstreamResponse>
            {
                MaxRetryAttempts = Math.Max(options.MaxRetries, 1),
                ShouldHandle = args => ValueTask.FromResult(
                    args.Context.Properties.TryGetValue(RetryPlan.Key, out var plan)
                    && plan.ShouldRetry(args.Outcome, args.AttemptNumber, args.Context.CancellationToken)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    args.Context.Properties.TryGetValue(RetryPlan.Key, out var plan) ? plan.NextDelay : TimeSpan.Zero),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<UpstreamResponse>
            {
                FailureRatio = options.CircuitBreakerFailureRatio,
                MinimumThroughput = options.CircuitBreakerMinimumThroughput,
                SamplingDuration = options.CircuitBreakerSamplingDuration,
                BreakDuration = options.CircuitBreakerBreakDuration,
                ShouldHandle = args => ValueTask.FromResult(CountsAsFailure(args.Outcome, args.Context.CancellationToken)),
            })
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.AttemptTimeout })
            .Build();

    /// <summary>Server-side trouble trips the breaker; client errors and rate limiting (a healthy "slow down") do not.</summary>
    private static bool CountsAsFailure(Outcome<UpstreamResponse> outcome, CancellationToken callerToken) =>
        outcome.Exception is { } exception
            ? !callerToken.IsCancellationRequested && ErrorClassifier.IsTransient(exception)
            : outcome.Result!.StatusCode is 408 or >= 500;
}
