using Intermediary.Configuration;
using Intermediary.Upstream;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Intermediary.Tests.Upstream;

/// <summary>The retry decision on its own, without a pipeline around it.</summary>
public sealed class RetryPlanTests
{
    private static readonly UpstreamResponse s_busy = new(503, "application/json", "{}"u8.ToArray(), new Dictionary<string, string>(), false);

    [Fact]
    public void A_transient_answer_is_retried_after_the_first_backoff_step()
    {
        var plan = Plan();

        Assert.True(plan.ShouldRetry(Outcome.FromResult(s_busy), 0, CancellationToken.None));
        // The 1 s base step: half fixed, half jittered (0.5 here).
        Assert.Equal(TimeSpan.FromSeconds(0.75), plan.NextDelay);
    }

    [Fact]
    public void Nothing_is_retried_for_a_caller_who_has_gone()
    {
        using var gone = new CancellationTokenSource();
        gone.Cancel();

        Assert.False(Plan().ShouldRetry(Outcome.FromResult(s_busy), 0, gone.Token));
    }

    private static RetryPlan Plan() => new(
        new UpstreamRequest("api", HttpMethod.Get, "/items", null, [], null, "corr"), new ResilienceOptions(), new FakeTimeProvider(), new Jitter(() => 0.5));
}
