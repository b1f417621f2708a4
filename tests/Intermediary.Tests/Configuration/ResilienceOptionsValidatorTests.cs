using Intermediary.Configuration;

namespace Intermediary.Tests.Configuration;

/// <summary>Timeouts, retries and the circuit breaker: each rule at its edges, each error naming its key.</summary>
public sealed class ResilienceOptionsValidatorTests
{
    private const string Prefix = "Intermediary:Upstreams:orders:Resilience";

    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(Errors(_ => { }));

    [Fact]
    public void The_defaults_are_the_named_ones_and_their_budget_ends_well_before_a_connector_gives_up()
    {
        var options = new ResilienceOptions();

        Assert.Equal(
            (ResilienceDefaults.TotalTimeout, ResilienceDefaults.AttemptTimeout, ResilienceDefaults.MaxRetries, ResilienceDefaults.BaseDelay, ResilienceDefaults.MaxDelay),
            (options.TotalTimeout, options.AttemptTimeout, options.MaxRetries, options.BaseDelay, options.MaxDelay));
        Assert.True(options.TotalTimeout <= TimeSpan.FromSeconds(90), "a connector cuts a synchronous call off at about 120 s");
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(10, false)]
    [InlineData(-1, true)]
    [InlineData(11, true)]
    public void Retries_are_between_none_and_ten(int retries, bool refused) =>
        AssertRule(o => o.MaxRetries = retries, $"{Prefix}:MaxRetries must be between 0 and 10.", refused);

    [Fact]
    public void The_total_budget_must_be_positive() =>
        // An attempt then outlasts the budget too, and is named as well.
        Assert.Equal([$"{Prefix}:TotalTimeout must be positive.", $"{Prefix}:AttemptTimeout must be positive and no longer than {Prefix}:TotalTimeout."],
            Errors(o => o.TotalTimeout = TimeSpan.Zero));

    [Theory]
    [InlineData(80, false)]
    [InlineData(81, true)]
    [InlineData(0, true)]
    public void An_attempt_may_not_outlast_the_budget(int attemptSeconds, bool refused) =>
        AssertRule(o => o.AttemptTimeout = TimeSpan.FromSeconds(attemptSeconds),
            $"{Prefix}:AttemptTimeout must be positive and no longer than {Prefix}:TotalTimeout.", refused);

    [Theory]
    [InlineData(1000, 1000, false)]
    [InlineData(0, 1000, true)]
    [InlineData(1000, 999, true)]
    public void The_base_delay_is_positive_and_the_maximum_at_least_as_long(int baseMs, int maxMs, bool refused) =>
        AssertRule(o => (o.BaseDelay, o.MaxDelay) = (TimeSpan.FromMilliseconds(baseMs), TimeSpan.FromMilliseconds(maxMs)),
            $"{Prefix}:BaseDelay must be positive and {Prefix}:MaxDelay at least as long.", refused);

    [Theory]
    [InlineData(1.0, false)]
    [InlineData(0.01, false)]
    [InlineData(0.0, true)]
    [InlineData(1.01, true)]
    public void The_failure_ratio_is_above_zero_and_at_most_one(double ratio, bool refused) =>
        AssertRule(o => o.CircuitBreakerFailureRatio = ratio, $"{Prefix}:CircuitBreakerFailureRatio must be in (0, 1].", refused);

    [Theory]
    [InlineData(2, false)]
    [InlineData(1, true)]
    public void The_breaker_needs_at_least_two_calls_to_judge(int calls, bool refused) =>
        AssertRule(o => o.CircuitBreakerMinimumThroughput = calls, $"{Prefix}:CircuitBreakerMinimumThroughput must be at least 2.", refused);

    [Theory]
    [InlineData(500, 500, false)]
    [InlineData(499, 500, true)]
    [InlineData(500, 499, true)]
    public void The_breakers_windows_are_at_least_half_a_second(int samplingMs, int breakMs, bool refused) =>
        AssertRule(o => (o.CircuitBreakerSamplingDuration, o.CircuitBreakerBreakDuration) = (TimeSpan.FromMilliseconds(samplingMs), TimeSpan.FromMilliseconds(breakMs)),
            $"{Prefix}:CircuitBreakerSamplingDuration and CircuitBreakerBreakDuration must be at least 0.5 s.", refused);

    private static void AssertRule(Action<ResilienceOptions> change, string message, bool refused) =>
        AreaValidation.AssertRule(Errors(change), message, refused);

    private static List<string> Errors(Action<ResilienceOptions> change) =>
        AreaValidation.Errors<ResilienceOptions>(Prefix, ResilienceOptionsValidator.Validate, change);
}
