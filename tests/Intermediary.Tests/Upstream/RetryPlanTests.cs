using Intermediary.Configuration;
using Intermediary.Upstream;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Intermediary.Tests.Upstream;

/// <summary>The retry decision on its own, without a pipeline around it (the arithmetic is <see cref="RetryBackoffTests"/>'s).</summary>
public sealed class RetryPlanTests
{
    private static readonly UpstreamResponse s_busy = Answer(503);

    [Fact]
    public void A_transient_answer_is_retried_after_the_first_backoff_step()
    {
        var plan = Plan(HttpMethod.Get);

        Assert.True(plan.ShouldRetry(Outcome.FromResult(s_busy), 0, CancellationToken.None));
        // The 1 s base step: half fixed, half jittered (0.5 here).
        Assert.Equal(TimeSpan.FromSeconds(0.75), plan.NextDelay);
    }

    [Fact]
    public void Nothing_is_retried_for_a_caller_who_has_gone()
    {
        using var gone = new CancellationTokenSource();
        gone.Cancel();

        Assert.False(Plan(HttpMethod.Get).ShouldRetry(Outcome.FromResult(s_busy), 0, gone.Token));
    }

    [Fact]
    public void A_wait_that_would_end_past_the_budget_is_abandoned_and_kept_for_the_callers_retry_after()
    {
        var time = new FakeTimeProvider();
        var plan = new RetryPlan(Request(HttpMethod.Get), new ResilienceOptions { TotalTimeout = TimeSpan.FromSeconds(10) }, time, new Jitter(() => 0.5));
        time.Advance(TimeSpan.FromSeconds(6));

        Assert.False(plan.ShouldRetry(Outcome.FromResult(Answer(429, ("Retry-After", "4"))), 0, CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(4), plan.AbandonedWait);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(200)]
    [InlineData(501)]
    public void Answers_that_are_not_transient_are_not_retried(int status) =>
        Assert.False(Plan(HttpMethod.Get).ShouldRetry(Outcome.FromResult(Answer(status)), 0, CancellationToken.None));

    [Theory]
    [InlineData(408, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    [InlineData(429, true)]
    public void A_post_is_retried_only_when_the_upstream_says_it_did_not_process_it(int status, bool retried) =>
        Assert.Equal(retried, Plan(HttpMethod.Post).ShouldRetry(Outcome.FromResult(Answer(status)), 0, CancellationToken.None));

    [Fact]
    public void A_post_answered_503_with_a_time_to_come_back_was_not_processed_and_is_retried() =>
        Assert.True(Plan(HttpMethod.Post).ShouldRetry(Outcome.FromResult(Answer(503, ("Retry-After", "2"))), 0, CancellationToken.None));

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, true)]
    [InlineData(HttpRequestError.NameResolutionError, true)]
    [InlineData(HttpRequestError.ResponseEnded, false)]
    public void A_post_is_retried_after_a_network_failure_only_when_nothing_was_sent(HttpRequestError error, bool retried)
    {
        var failure = Outcome.FromException<UpstreamResponse>(new HttpRequestException(error, "network"));

        Assert.Equal(retried, Plan(HttpMethod.Post).ShouldRetry(failure, 0, CancellationToken.None));
        Assert.True(Plan(HttpMethod.Get).ShouldRetry(failure, 0, CancellationToken.None), "a GET is safe to send again");
    }

    [Fact]
    public void Retries_stop_at_the_configured_count()
    {
        var plan = new RetryPlan(Request(HttpMethod.Get), new ResilienceOptions { MaxRetries = 2 }, new FakeTimeProvider(), new Jitter(() => 0.5));

        Assert.True(plan.ShouldRetry(Outcome.FromResult(s_busy), 1, CancellationToken.None));
        Assert.False(plan.ShouldRetry(Outcome.FromResult(s_busy), 2, CancellationToken.None));
    }

    [Fact]
    public void An_upstreams_longer_wait_replaces_the_backoff()
    {
        var plan = Plan(HttpMethod.Get);

        Assert.True(plan.ShouldRetry(Outcome.FromResult(Answer(429, ("Retry-After", "5"))), 0, CancellationToken.None));
        Assert.Equal(TimeSpan.FromSeconds(5), plan.NextDelay);
        Assert.Null(plan.AbandonedWait);
    }

    private static RetryPlan Plan(HttpMethod method) => new(Request(method), new ResilienceOptions(), new FakeTimeProvider(), new Jitter(() => 0.5));

    private static UpstreamRequest Request(HttpMethod method) => new("api", method, "/items", null, [], null, "corr");

    private static UpstreamResponse Answer(int status, params (string Name, string Value)[] headers) =>
        new(status, "application/json", "{}"u8.ToArray(), headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase), false);
}
