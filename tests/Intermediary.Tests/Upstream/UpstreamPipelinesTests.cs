using Intermediary.Configuration;
using Intermediary.Upstream;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

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
}
