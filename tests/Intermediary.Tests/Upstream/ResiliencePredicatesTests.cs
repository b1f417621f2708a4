using System.Net.Sockets;
using Intermediary.Upstream;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Intermediary.Tests.Upstream;

/// <summary>The one rule for "worth another attempt" and "the upstream's trouble", shared by retry, breaker and classifier.</summary>
public sealed class ResiliencePredicatesTests
{
    public static TheoryData<int, bool, bool> Statuses() => new()
    {
        // status, transient (retry), upstream failure (breaker)
        { 200, false, false },
        { 304, false, false },
        { 400, false, false },
        { 401, false, false },
        { 404, false, false },
        { 407, false, false },
        { 408, true, true },
        { 409, false, false },
        { 429, true, false },
        { 499, false, false },
        { 500, true, true },
        { 501, false, true },
        { 502, true, true },
        { 503, true, true },
        { 504, true, true },
        { 505, false, true },
        { 599, false, true },
    };

    [Theory]
    [MemberData(nameof(Statuses))]
    public void Each_status_is_transient_and_an_upstream_failure_exactly_as_the_table_says(int status, bool transient, bool upstreamFailure)
    {
        Assert.Equal(transient, ResiliencePredicates.IsTransient(status));
        Assert.Equal(upstreamFailure, ResiliencePredicates.IsUpstreamFailure(status));
    }

    [Fact]
    public void The_classifier_marks_an_upstream_failure_retryable_exactly_when_the_status_is_transient()
    {
        foreach (var status in Enumerable.Range(300, 300).Where(s => s != 304))
        {
            var classification = ErrorClassifier.Classify(
                new UpstreamResponse(status, "application/json", "{\"message\":\"no\"}"u8.ToArray(), new Dictionary<string, string>(), false),
                DateTimeOffset.UnixEpoch);

            Assert.True(ResiliencePredicates.IsTransient(status) == classification.Retryable, $"HTTP {status}: retryable {classification.Retryable}");
        }
    }

    [Fact]
    public void Transport_failures_and_attempt_timeouts_are_transient_but_an_open_circuit_or_a_bug_is_not()
    {
        Assert.True(ResiliencePredicates.IsTransient(new HttpRequestException("reset")));
        Assert.True(ResiliencePredicates.IsTransient(new IOException("closed")));
        Assert.True(ResiliencePredicates.IsTransient(new TimeoutRejectedException()));

        Assert.False(ResiliencePredicates.IsTransient(new BrokenCircuitException()));
        Assert.False(ResiliencePredicates.IsTransient(new InvalidOperationException()));
        Assert.False(ResiliencePredicates.IsTransient(new OperationCanceledException()));
    }

    [Fact]
    public void Only_a_failure_to_resolve_or_connect_proves_the_request_was_never_sent()
    {
        Assert.True(ResiliencePredicates.RequestNeverSent(new HttpRequestException(HttpRequestError.NameResolutionError)));
        Assert.True(ResiliencePredicates.RequestNeverSent(
            new HttpRequestException(HttpRequestError.ConnectionError, inner: new SocketException((int)SocketError.ConnectionRefused))));

        Assert.False(ResiliencePredicates.RequestNeverSent(new HttpRequestException(HttpRequestError.ResponseEnded)));
        Assert.False(ResiliencePredicates.RequestNeverSent(new HttpRequestException(HttpRequestError.SecureConnectionError)));
        Assert.False(ResiliencePredicates.RequestNeverSent(new HttpRequestException("reset")));
        Assert.False(ResiliencePredicates.RequestNeverSent(new IOException("closed")));
    }

    [Theory]
    [InlineData(429, null, true)]
    [InlineData(429, 5, true)]
    [InlineData(503, 5, true)]
    [InlineData(503, null, false)]
    [InlineData(500, 5, false)]
    [InlineData(502, 5, false)]
    [InlineData(504, 5, false)]
    public void Only_rate_limiting_or_a_503_that_names_a_time_says_the_request_was_not_processed(int status, int? retryAfterSeconds, bool notProcessed)
    {
        var retryAfter = retryAfterSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;

        Assert.Equal(notProcessed, ResiliencePredicates.RequestNotProcessed(status, retryAfter));
    }
}
