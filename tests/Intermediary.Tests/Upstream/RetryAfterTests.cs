using Intermediary.Upstream;

namespace Intermediary.Tests.Upstream;

public sealed class RetryAfterTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Delta_seconds() => Assert.Equal(TimeSpan.FromSeconds(30), Parse(new() { ["Retry-After"] = "30" }));

    [Fact]
    public void Http_date_is_relative_to_the_injected_clock() =>
        Assert.Equal(TimeSpan.FromSeconds(90), Parse(new() { ["Retry-After"] = s_now.AddSeconds(90).ToString("r") }));

    [Fact]
    public void Http_date_in_the_past_means_now() =>
        Assert.Equal(TimeSpan.Zero, Parse(new() { ["Retry-After"] = s_now.AddSeconds(-90).ToString("r") }));

    [Fact]
    public void Azure_retry_after_ms_is_preferred() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Parse(new() { ["Retry-After"] = "30", ["retry-after-ms"] = "1500" }));

    [Fact]
    public void X_ms_retry_after_ms_is_honoured_too() =>
        Assert.Equal(TimeSpan.FromMilliseconds(250), Parse(new() { ["Retry-After"] = "30", ["x-ms-retry-after-ms"] = "250" }));

    [Fact]
    public void A_negative_or_unreadable_millisecond_header_falls_back_to_retry_after() =>
        Assert.Equal(TimeSpan.FromSeconds(30), Parse(new() { ["Retry-After"] = "30", ["retry-after-ms"] = "-1", ["x-ms-retry-after-ms"] = "soon" }));

    [Theory]
    [InlineData("retry-after-ms")]
    [InlineData("x-ms-retry-after-ms")]
    public void A_millisecond_header_of_zero_means_now_not_the_retry_after_header(string name) =>
        Assert.Equal(TimeSpan.Zero, Parse(new() { ["Retry-After"] = "30", [name] = "0" }));

    [Fact]
    public void Retry_after_ms_alone_is_honoured() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Parse(new() { ["Retry-After-Ms"] = "1500" }));

    [Fact]
    public void No_header_means_no_wait() => Assert.Null(Parse([]));

    [Theory]
    [InlineData("soon")]
    [InlineData("-5")]
    [InlineData("")]
    public void Garbage_is_ignored(string value) => Assert.Null(Parse(new() { ["Retry-After"] = value }));

    [Theory]
    [InlineData("Rate limit is exceeded. Try again in 12 seconds.", 12)]
    [InlineData("rate limit is exceeded. try again in 1 second.", 1)]
    [InlineData("Out of call volume quota. Quota will be replenished in 00:05:00.", 300)]
    public void Apim_messages(string message, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RetryAfter.FromMessage(message));

    [Theory]
    [InlineData(0.2, 1)]
    [InlineData(1.0, 1)]
    [InlineData(1.01, 2)]
    [InlineData(59.5, 60)]
    public void Seconds_round_up_and_never_go_below_one(double seconds, int expected) =>
        Assert.Equal(expected, RetryAfter.ToSeconds(TimeSpan.FromSeconds(seconds)));

    private static TimeSpan? Parse(Dictionary<string, string> headers) =>
        RetryAfter.FromHeaders(new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase), s_now);
}
