using System.Collections.Concurrent;
using Intermediary.Configuration;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Telemetry;
using Polly.Timeout;

namespace Intermediary.Upstream;

/// <summary>
/// One Polly pipeline per upstream, kept for the process lifetime so the circuit breaker sees every call.
/// Order (outer to inner), as in Microsoft.Extensions.Http.Resilience's standard handler:
/// total budget → retry → circuit breaker → attempt timeout.
/// Polly's telemetry is on: every retry, timeout and circuit-breaker transition is logged (category "Polly") and
/// counted on the meter "Polly" (<c>resilience.polly.strategy.events</c>, tagged with the event and, as
/// <c>pipeline.instance</c>, the pipeline's key: the upstream, or "{upstream}:jobs").
/// </summary>
internal sealed class UpstreamPipelines(TimeProvider time, ILoggerFactory loggerFactory)
{
    /// <summary>The <c>pipeline.name</c> of every upstream pipeline in Polly's telemetry.</summary>
    public const string PipelineName = "Intermediary.Upstream";

    private readonly ConcurrentDictionary<string, ResiliencePipeline<UpstreamResponse>> _pipelines = new(StringComparer.OrdinalIgnoreCase);

    public ResiliencePipeline<UpstreamResponse> For(string upstream, ResilienceOptions options) =>
        _pipelines.GetOrAdd(upstream, key => Build(key, options));

    private ResiliencePipeline<UpstreamResponse> Build(string key, ResilienceOptions options) =>
        new ResiliencePipelineBuilder<UpstreamResponse> { TimeProvider = time, Name = PipelineName, InstanceName = key }
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
            .ConfigureTelemetry(new TelemetryOptions
            {
                LoggerFactory = loggerFactory,
                // The status code, never the response (its headers and body are the upstream's, not ours to log).
                ResultFormatter = (_, result) => result is UpstreamResponse response ? response.StatusCode : result,
                SeverityProvider = QuietSuccesses,
            })
            .Build();

    /// <summary>
    /// Polly logs every attempt and every pipeline run at Information by default: two lines per successful call.
    /// Those go to Debug; handled attempts (Warning), retries, timeouts and breaker transitions keep their level.
    /// </summary>
    private static ResilienceEventSeverity QuietSuccesses(SeverityProviderArguments args) =>
        args.Event.Severity == ResilienceEventSeverity.Information && args.Event.EventName is "ExecutionAttempt" or "PipelineExecuted"
            ? ResilienceEventSeverity.Debug
            : args.Event.Severity;

    /// <summary>Server-side trouble trips the breaker; client errors and rate limiting (a healthy "slow down") do not.</summary>
    private static bool CountsAsFailure(Outcome<UpstreamResponse> outcome, CancellationToken callerToken) =>
        outcome.Exception is { } exception
            ? !callerToken.IsCancellationRequested && ResiliencePredicates.IsTransient(exception)
            : ResiliencePredicates.IsUpstreamFailure(outcome.Result!.StatusCode);
}
