using Intermediary.Upstream;

namespace Intermediary.Tests.Upstream;

/// <summary>The backoff and budget arithmetic, as pure functions: no plan, no clock, no pipeline.</summary>
public sealed class RetryBackoffTests
{
    private static readonly TimeSpan s_base = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_max = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 0.0, 500)]
    [InlineData(0, 0.999, 999.5)]
    [InlineData(1, 0.5, 1500)]
    [InlineData(3, 0.0, 4000)]
    [InlineData(5, 1.0, 30_000)]
    [InlineData(40, 0.5, 22_500)]
    public void The_step_doubles_from_the_base_delay_and_is_half_fixed_half_jittered_up_to_the_maximum(int retryIndex, double jitter, double milliseconds) =>
        Assert.Equal(milliseconds, RetryBackoff.Delay(retryIndex, s_base, s_max, jitter).TotalMilliseconds, precision: 3);

    [Fact]
    public void Every_delay_lies_between_half_a_step_and_a_whole_one()
    {
        for (var retry = 0; retry < 8; retry++)
        {
            var step = Math.Min(Math.Pow(2, retry) * 1000, 30_000);
            for (var jitter = 0.0; jitter < 1.0; jitter += 0.125)
            {
                var delay = RetryBackoff.Delay(retry, s_base, s_max, jitter).TotalMilliseconds;

                Assert.InRange(delay, step / 2, step);
            }
        }
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(1_000)]
    public void A_huge_retry_index_stays_at_the_maximum_instead_of_overflowing(int retryIndex) =>
        Assert.Equal(TimeSpan.FromSeconds(15), RetryBackoff.Delay(retryIndex, s_base, s_max, jitter: 0));

    [Fact]
    public void The_upstreams_retry_after_replaces_the_backoff_only_when_it_asks_for_longer()
    {
        var backoff = TimeSpan.FromSeconds(2);

        Assert.Equal(backoff, RetryBackoff.Wait(backoff, retryAfter: null));
        Assert.Equal(backoff, RetryBackoff.Wait(backoff, TimeSpan.FromSeconds(1)));
        Assert.Equal(backoff, RetryBackoff.Wait(backoff, backoff));
        Assert.Equal(TimeSpan.FromSeconds(3), RetryBackoff.Wait(backoff, TimeSpan.FromSeconds(3)));
    }

    [Theory]
    [InlineData(0, 79_999, true)]
    [InlineData(79_000, 999, true)]
    [InlineData(79_000, 1_000, false)]
    [InlineData(0, 80_000, false)]
    [InlineData(81_000, 0, false)]
    public void A_retry_fits_only_if_it_can_start_before_the_budget_ends(int elapsedMs, int waitMs, bool fits) =>
        Assert.Equal(fits, RetryBackoff.FitsBudget(TimeSpan.FromMilliseconds(elapsedMs), TimeSpan.FromMilliseconds(waitMs), TimeSpan.FromSeconds(80)));
}
