using System.Net;
using Intermediary.Envelopes;
using Intermediary.Tests.Infrastructure;
using Intermediary.Upstream;

namespace Intermediary.Tests.Upstream;

public sealed class ResilienceTests
{
    private const string Busy = """{"error":{"code":"Busy","message":"Try later."}}""";

    [Fact]
    public async Task Flaky_503s_are_retried_and_attempts_tell_the_truth()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n <= 2
            ? ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, Busy)
            : ScriptedHandler.Json(HttpStatusCode.OK, """{"fine":true}""")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal(3, envelope.Attempts);
        Assert.Equal(3, handler.Count);
        // Equal jitter at 0.5 with a 1 s base: 0.75 s + 1.5 s of (fake) waiting.
        Assert.Equal(2250, envelope.DurationMs);
    }

    [Fact]
    public async Task Retry_after_inside_the_budget_is_honoured()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n == 1
            ? ScriptedHandler.Json(HttpStatusCode.TooManyRequests, """{"statusCode":429,"message":"Rate limit is exceeded. Try again in 7 seconds."}""", ("Retry-After", "7"))
            : ScriptedHandler.Json(HttpStatusCode.OK, "[]")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.True(envelope.Ok);
        Assert.Equal(2, envelope.Attempts);
        Assert.Equal(7000, envelope.DurationMs);
    }

    [Fact]
    public async Task Retry_after_beyond_budget_returns_rate_limited_without_waiting()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(
            ScriptedHandler.Json(HttpStatusCode.TooManyRequests, """{"statusCode":429,"message":"Rate limit is exceeded. Try again in 120 seconds."}""", ("Retry-After", "120"))));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.RateLimited, envelope.Code);
        Assert.Equal(EnvelopeSource.Gateway, envelope.Source);
        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(120, envelope.RetryAfterSeconds);
        Assert.Equal(0, envelope.DurationMs);
    }

    [Fact]
    public async Task A_retry_after_that_ends_exactly_at_the_budget_is_not_waited_for()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(
            ScriptedHandler.Json(HttpStatusCode.TooManyRequests, """{"statusCode":429,"message":"Rate limit is exceeded. Try again in 80 seconds."}""", ("Retry-After", "80"))));
        using var harness = new UpstreamHarness(handler);
        var request = new UpstreamRequest("api", HttpMethod.Get, "/items", null, [], null, "corr-edge");

        // The default budget is 80 s: waiting 80 s would leave nothing for the attempt, so the caller is answered at once.
        // No fake time is advanced here, so a call that started that wait would not finish (the real-time limit is a hang guard).
        var result = await harness.Client.SendAsync(request, budget: null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(EnvelopeCode.RateLimited, result.Envelope.Code);
        Assert.Equal(1, result.Envelope.Attempts);
        Assert.Equal(80, result.Envelope.RetryAfterSeconds);
    }

    [Fact]
    public async Task An_abandoned_backoff_longer_than_the_upstreams_retry_after_is_the_wait_the_caller_is_told()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, Busy, ("Retry-After", "1"))));
        using var harness = new UpstreamHarness(handler, new()
        {
            ["Intermediary:Upstreams:api:Resilience:BaseDelay"] = "00:00:10",
            ["Intermediary:Upstreams:api:Resilience:MaxDelay"] = "00:00:30",
            ["Intermediary:Upstreams:api:Resilience:TotalTimeout"] = "00:00:06",
            ["Intermediary:Upstreams:api:Resilience:AttemptTimeout"] = "00:00:05",
        });

        var envelope = await harness.SendAsync(HttpMethod.Get);

        // The first backoff is 7.5 s (10 s with half jitter at 0.5), past the 6 s budget: the upstream's 1 s would be too soon.
        Assert.Equal(EnvelopeCode.ServiceUnavailable, envelope.Code);
        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(8, envelope.RetryAfterSeconds);
    }

    [Fact]
    public async Task Backoff_that_would_outlive_the_budget_is_not_scheduled()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, Busy)));
        using var harness = new UpstreamHarness(handler, new()
        {
            ["Intermediary:Upstreams:api:Resilience:TotalTimeout"] = "00:00:04",
            ["Intermediary:Upstreams:api:Resilience:AttemptTimeout"] = "00:00:02",
            ["Intermediary:Upstreams:api:Resilience:MaxRetries"] = "10",
        });

        var envelope = await harness.SendAsync(HttpMethod.Get);

        // 0.75 s + 1.5 s fit in 4 s; the next 3 s wait would end at 5.25 s, so the caller is told to come back instead.
        Assert.Equal(EnvelopeCode.ServiceUnavailable, envelope.Code);
        Assert.Equal(3, envelope.Attempts);
        Assert.Equal(3, envelope.RetryAfterSeconds);
        Assert.True(envelope.DurationMs < 4000, $"duration {envelope.DurationMs} ms should be inside the 4 s budget");
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Every_transient_status_is_retried_for_a_get(HttpStatusCode status)
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n == 1
            ? ScriptedHandler.Json(status, Busy)
            : ScriptedHandler.Json(HttpStatusCode.OK, "[]")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal(2, envelope.Attempts);
    }

    [Fact]
    public async Task A_caller_that_cancels_during_the_backoff_wait_gets_no_further_attempt()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, Busy)));
        using var harness = new UpstreamHarness(handler);
        using var caller = new CancellationTokenSource();
        var request = new UpstreamRequest("api", HttpMethod.Get, "/items", null, [], null, "corr-cancel");

        var sending = harness.Client.SendAsync(request, budget: null, caller.Token);
        await Eventually.True(() => harness.Clock.PendingWaits(due => due < TimeSpan.FromSeconds(10)).Count > 0, "the first backoff wait started");
        await caller.CancelAsync();
        var result = await sending;

        Assert.Equal(1, handler.Count);
        Assert.Equal(EnvelopeCode.Timeout, result.Envelope.Code);
        Assert.Equal(499, result.Envelope.Status);
        Assert.False(result.Envelope.Ok);
        Assert.True(result.Envelope.Retryable, "the caller may send it again");
        Assert.Equal(1, result.Envelope.Attempts);
        Assert.Contains("canceled", result.Envelope.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retries_stop_at_MaxRetries()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.BadGateway, Busy)));
        using var harness = new UpstreamHarness(handler, new() { ["Intermediary:Upstreams:api:Resilience:MaxRetries"] = "2" });

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.BadGateway, envelope.Code);
        Assert.Equal(3, envelope.Attempts);
        Assert.Equal(3, handler.Count);
    }

    [Fact]
    public async Task Post_is_not_retried_on_a_plain_503()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, Busy)));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Post);

        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Post_is_retried_on_503_with_retry_after_because_it_was_not_processed()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n == 1
            ? ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, Busy, ("Retry-After", "1"))
            : ScriptedHandler.Json(HttpStatusCode.Created, """{"id":"1"}""")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Post);

        Assert.True(envelope.Ok);
        Assert.Equal(201, envelope.Status);
        Assert.Equal(2, envelope.Attempts);
    }

    [Fact]
    public async Task Post_with_an_idempotency_key_is_retried_on_500()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n == 1
            ? ScriptedHandler.Json(HttpStatusCode.InternalServerError, Busy)
            : ScriptedHandler.Json(HttpStatusCode.OK, "{}")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Post, "/items", ("Idempotency-Key", "abc"));

        Assert.True(envelope.Ok);
        Assert.Equal(2, envelope.Attempts);
        Assert.All(handler.Requests, r => Assert.Equal("abc", r.Headers["Idempotency-Key"]));
    }

    [Fact]
    public async Task Post_is_retried_when_the_connection_failed_before_sending()
    {
        var handler = new ScriptedHandler((_, n, _) => n == 1
            ? Task.FromException<HttpResponseMessage>(new HttpRequestException(HttpRequestError.ConnectionError, "refused"))
            : Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK, "{}")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Post);

        Assert.True(envelope.Ok);
        Assert.Equal(2, envelope.Attempts);
    }

    [Fact]
    public async Task Post_is_not_retried_when_the_connection_dropped_mid_response()
    {
        var handler = new ScriptedHandler((_, _, _) =>
            Task.FromException<HttpResponseMessage>(new HttpRequestException(HttpRequestError.ResponseEnded, "reset")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Post);

        Assert.Equal(EnvelopeCode.NetworkError, envelope.Code);
        Assert.Equal(1, envelope.Attempts);
    }

    [Fact]
    public async Task Client_errors_are_never_retried()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.NotFound, """{"error":{"code":"Nope","message":"No."}}""")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.NotFound, envelope.Code);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task Attempt_timeout_becomes_Timeout()
    {
        var handler = new ScriptedHandler(async (_, _, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return ScriptedHandler.Json(HttpStatusCode.OK, "{}");
        });
        using var harness = new UpstreamHarness(handler, new() { ["Intermediary:Upstreams:api:Resilience:MaxRetries"] = "0" });
        var request = harness.SendAsync(HttpMethod.Get);

        while (handler.Count == 0)
        {
            await Task.Yield();
        }

        harness.Clock.Advance(TimeSpan.FromSeconds(20));
        var envelope = await request;

        Assert.Equal(EnvelopeCode.Timeout, envelope.Code);
        Assert.Equal(504, envelope.Status);
        Assert.Equal(1, envelope.Attempts);
        // The configured attempt timeout (20 s by default) fired, not Polly's own default of 30 s.
        Assert.Equal("The upstream did not answer within 20 s.", envelope.Message);
    }

    [Fact]
    public async Task Circuit_opens_after_repeated_failures_and_short_circuits_calls()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.InternalServerError, Busy)));
        using var harness = new UpstreamHarness(handler, new()
        {
            ["Intermediary:Upstreams:api:Resilience:MaxRetries"] = "0",
            ["Intermediary:Upstreams:api:Resilience:CircuitBreakerMinimumThroughput"] = "3",
        });

        for (var i = 0; i < 3; i++)
        {
            await harness.SendAsync(HttpMethod.Get);
        }

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.CircuitOpen, envelope.Code);
        Assert.Equal(EnvelopeSource.Intermediary, envelope.Source);
        Assert.Equal(3, handler.Count);
        Assert.NotNull(envelope.RetryAfterSeconds);
    }

    [Fact]
    public async Task Repeated_network_failures_open_the_circuit_too()
    {
        var handler = new ScriptedHandler((_, _, _) =>
            Task.FromException<HttpResponseMessage>(new HttpRequestException(HttpRequestError.ConnectionError, "refused")));
        using var harness = new UpstreamHarness(handler, new()
        {
            ["Intermediary:Upstreams:api:Resilience:MaxRetries"] = "0",
            ["Intermediary:Upstreams:api:Resilience:CircuitBreakerMinimumThroughput"] = "3",
        });

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(EnvelopeCode.NetworkError, (await harness.SendAsync(HttpMethod.Get)).Code);
        }

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.CircuitOpen, envelope.Code);
        Assert.Equal(3, handler.Count);
    }

    [Fact]
    public async Task Service_headers_are_added_and_caller_secrets_never_forwarded()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK, "{}")));
        using var harness = new UpstreamHarness(handler);

        await harness.SendAsync(HttpMethod.Get, "/items", ("Accept", "application/json"));

        var (_, uri, headers) = Assert.Single(handler.Requests);
        Assert.Equal("http://upstream.test/base/items", uri.AbsoluteUri);
        Assert.Equal("harness-subscription-key", headers["Ocp-Apim-Subscription-Key"]);
        Assert.Equal("corr-1", headers["x-correlation-id"]);
        Assert.False(headers.ContainsKey("Authorization"), "Credential=None sends no bearer token");
    }
}
