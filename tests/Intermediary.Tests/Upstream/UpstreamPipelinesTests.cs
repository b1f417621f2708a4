using Intermediary.Configuration;
using Intermediary.Upstream;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;
using Polly.CircuitBreaker;

namespace Intermediary.Tests.Upstream;

/// <summary>One pipeline per key for the process lifetime, so each upstream's circuit breaker sees all its calls.</summary>
public sealed class UpstreamPipelinesTests
{
    [Fact]
    public void A_key_keeps_its_pipeline_whatever_its_case_and_whatever_options_come_later()
    {
        var pipelines = new UpstreamPipelines(new FakeTimeProvider(), NullLoggerFactory.Instance);
        var first = pipelines.For("orders", new ResilienceOptions());

        Assert.Same(first, pipelines.For("orders", new ResilienceOptions { MaxRetries = 7 }));
        Assert.Same(first, pipelines.For("ORDERS", new ResilienceOptions()));
        Assert.NotSame(first, pipelines.For("orders@600000000", new ResilienceOptions()));
        Assert.NotSame(first, pipelines.For("kennel", new ResilienceOptions()));
    }

    [Theory]
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(408, true)]
    [InlineData(501, true)]
    [InlineData(429, false)]
    [InlineData(404, false)]
    public async Task The_breaker_opens_on_the_upstreams_trouble_but_not_on_rate_limiting_or_client_errors(int status, bool opens)
    {
        var pipelines = new UpstreamPipelines(new FakeTimeProvider(), NullLoggerFactory.Instance);
        var options = new ResilienceOptions();
        var pipeline = pipelines.For("orders", options);

        for (var i = 0; i < options.CircuitBreakerMinimumThroughput; i++)
        {
            var outcome = await pipeline.ExecuteOutcomeAsync((_, _) => ValueTask.FromResult(Outcome.FromResult(Answer(status))), ResilienceContextPool.Shared.Get(), 0);
            Assert.Equal(status, outcome.Result?.StatusCode);
        }

        var calledAfter = false;
        var next = await pipeline.ExecuteOutcomeAsync((_, _) =>
        {
            calledAfter = true;
            return ValueTask.FromResult(Outcome.FromResult(Answer(200)));
        }, ResilienceContextPool.Shared.Get(), 0);

        Assert.Equal(opens, next.Exception is BrokenCircuitException);
        Assert.Equal(!opens, calledAfter);
        // Each upstream has its own breaker.
        Assert.Equal(200, (await pipelines.For("kennel", options).ExecuteOutcomeAsync(
            (_, _) => ValueTask.FromResult(Outcome.FromResult(Answer(200))), ResilienceContextPool.Shared.Get(), 0)).Result!.StatusCode);
    }

    private static UpstreamResponse Answer(int status) =>
        new(status, "application/json", "{}"u8.ToArray(), new Dictionary<string, string>(), false);
}
