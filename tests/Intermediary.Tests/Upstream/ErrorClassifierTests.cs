using System.Text;
using Intermediary.Envelopes;
using Intermediary.Upstream;

namespace Intermediary.Tests.Upstream;

public sealed class ErrorClassifierTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Apim_missing_subscription_key_is_a_gateway_SubscriptionKeyInvalid()
    {
        var result = Classify(401, """{ "statusCode": 401, "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API." }""");

        Assert.Equal(EnvelopeCode.SubscriptionKeyInvalid, result.Code);
        Assert.Equal(EnvelopeSource.Gateway, result.Source);
        Assert.False(result.Retryable);
        Assert.False(result.TokenRejected);
        Assert.Equal(502, result.Status);
        Assert.Equal(401, result.Upstream!.Status);
        Assert.StartsWith("Access denied due to missing subscription key", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apim_invalid_subscription_key_is_recognised_by_pattern_not_exact_text()
    {
        var result = Classify(401, """{"statusCode":401,"message":"Access denied due to an INVALID Subscription Key (rotated)."}""");

        Assert.Equal(EnvelopeCode.SubscriptionKeyInvalid, result.Code);
    }

    [Fact]
    public void Apim_rate_limit_text_gives_retry_after_when_the_header_is_missing()
    {
        var result = Classify(429, """{"statusCode":429,"message":"Rate limit is exceeded. Try again in 17 seconds."}""");

        Assert.Equal(EnvelopeCode.RateLimited, result.Code);
        Assert.Equal(EnvelopeSource.Gateway, result.Source);
        Assert.True(result.Retryable);
        Assert.Equal(TimeSpan.FromSeconds(17), result.RetryAfter);
        Assert.Equal(429, result.Status);
    }

    [Fact]
    public void Retry_after_header_wins_over_the_text()
    {
        var result = Classify(429, """{"statusCode":429,"message":"Rate limit is exceeded. Try again in 17 seconds."}""", headers: new() { ["Retry-After"] = "5" });

        Assert.Equal(TimeSpan.FromSeconds(5), result.RetryAfter);
    }

    [Fact]
    public void Apim_quota_403_is_QuotaExceeded_and_not_retryable()
    {
        var result = Classify(403, """{"statusCode":403,"message":"Out of call volume quota. Quota will be replenished in 02:10:00."}""");

        Assert.Equal(EnvelopeCode.QuotaExceeded, result.Code);
        Assert.Equal(EnvelopeSource.Gateway, result.Source);
        Assert.False(result.Retryable);
        Assert.Equal(TimeSpan.FromMinutes(130), result.RetryAfter);
    }

    [Fact]
    public void Apim_jwt_401_asks_for_a_token_refresh()
    {
        var result = Classify(401, """{"statusCode":401,"message":"Invalid JWT."}""");

        Assert.Equal(EnvelopeCode.Unauthorized, result.Code);
        Assert.Equal(EnvelopeSource.Gateway, result.Source);
        Assert.True(result.TokenRejected);
    }

    [Fact]
    public void Backend_401_with_invalid_token_challenge_asks_for_a_token_refresh()
    {
        var result = Classify(401, "", headers: new() { ["WWW-Authenticate"] = "Bearer error=\"invalid_token\", error_description=\"expired\"" });

        Assert.True(result.TokenRejected);
        Assert.Equal(EnvelopeSource.Backend, result.Source);
    }

    [Fact]
    public void Azure_error_shape_gives_code_and_message()
    {
        var result = Classify(404, """{"error":{"code":"ItemNotFound","message":"Item '9' was not found.","innererror":{"code":"NotFound"}}}""");

        Assert.Equal(EnvelopeCode.NotFound, result.Code);
        Assert.Equal(EnvelopeSource.Backend, result.Source);
        Assert.Equal("ItemNotFound", result.Upstream!.Code);
        Assert.Equal("Item '9' was not found.", result.Message);
        Assert.Equal(404, result.Status);
        Assert.NotNull(result.Data);
    }

    [Fact]
    public void Problem_details_with_errors_is_ValidationFailed_with_the_first_error_in_the_message()
    {
        var result = Classify(400, """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"One or more validation errors occurred.","status":400,"errors":{"name":["The name field is required."]}}""", "application/problem+json");

        Assert.Equal(EnvelopeCode.ValidationFailed, result.Code);
        Assert.Contains("The name field is required.", result.Message, StringComparison.Ordinal);
        Assert.Null(result.Upstream!.Code);
    }

    [Fact]
    public void OAuth_error_shape_is_understood()
    {
        var result = Classify(400, """{"error":"invalid_grant","error_description":"The grant has expired."}""");

        Assert.Equal("invalid_grant", result.Upstream!.Code);
        Assert.Equal("The grant has expired.", result.Message);
        Assert.Equal(EnvelopeCode.BadRequest, result.Code);
    }

    [Fact]
    public void Html_error_page_becomes_InvalidResponse_with_a_markup_free_excerpt()
    {
        const string html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style><script>alert(1)</script></head><body><h1>Bad Gateway</h1><p>The proxy &amp; server failed.</p></body></html>";

        var result = Classify(502, html, "text/html");

        Assert.Equal(EnvelopeCode.InvalidResponse, result.Code);
        Assert.True(result.Retryable);
        Assert.DoesNotContain("<", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("color:red", result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("alert", result.Message, StringComparison.Ordinal);
        Assert.Contains("502 Bad Gateway", result.Message, StringComparison.Ordinal);
        Assert.Contains("The proxy & server failed.", result.Message, StringComparison.Ordinal);
        Assert.Null(result.Data);
    }

    [Fact]
    public void Html_on_a_200_is_not_reported_as_success()
    {
        var result = Classify(200, "<html><body>Sign in</body></html>", "text/html; charset=utf-8");

        Assert.False(result.Ok);
        Assert.Equal(EnvelopeCode.InvalidResponse, result.Code);
    }

    [Fact]
    public void Truncated_json_is_InvalidResponse()
    {
        var result = Classify(200, """{"items":[{"id":1,"name":"trunc""");

        Assert.False(result.Ok);
        Assert.Equal(EnvelopeCode.InvalidResponse, result.Code);
        Assert.Equal(502, result.Status);
    }

    [Fact]
    public void Plain_text_error_is_the_message()
    {
        var result = Classify(503, "Service is down for maintenance", "text/plain");

        Assert.Equal(EnvelopeCode.ServiceUnavailable, result.Code);
        Assert.Equal("Service is down for maintenance", result.Message);
        Assert.True(result.Retryable);
    }

    [Theory]
    [InlineData(500, "The upstream answered HTTP 500 (InternalServerError).")]
    [InlineData(503, "The upstream is temporarily unavailable.")]
    [InlineData(504, "The upstream gateway timed out.")]
    [InlineData(502, "The upstream gateway could not reach its backend.")]
    [InlineData(404, "The upstream could not find the requested resource.")]
    [InlineData(401, "The upstream refused this service's credentials.")]
    [InlineData(403, "The upstream does not allow this operation for this service.")]
    [InlineData(429, "The upstream is rate limiting calls; wait and try again.")]
    public void Empty_error_body_still_gets_the_message_for_its_status(int status, string message)
    {
        var result = Classify(status, "", null);

        Assert.Equal(message, result.Message);
        Assert.Null(result.Data);
        Assert.Null(result.Upstream!.Message);
    }

    [Theory]
    [InlineData(400, EnvelopeCode.BadRequest, false, 400)]
    [InlineData(404, EnvelopeCode.NotFound, false, 404)]
    [InlineData(408, EnvelopeCode.Timeout, true, 408)]
    [InlineData(409, EnvelopeCode.Conflict, false, 409)]
    [InlineData(410, EnvelopeCode.NotFound, false, 410)]
    [InlineData(412, EnvelopeCode.Conflict, false, 412)]
    [InlineData(413, EnvelopeCode.PayloadTooLarge, false, 413)]
    [InlineData(418, EnvelopeCode.BadRequest, false, 418)]
    [InlineData(422, EnvelopeCode.ValidationFailed, false, 422)]
    [InlineData(429, EnvelopeCode.RateLimited, true, 429)]
    [InlineData(500, EnvelopeCode.UpstreamError, true, 500)]
    [InlineData(501, EnvelopeCode.UpstreamError, false, 501)]
    [InlineData(502, EnvelopeCode.BadGateway, true, 502)]
    [InlineData(503, EnvelopeCode.ServiceUnavailable, true, 503)]
    [InlineData(504, EnvelopeCode.GatewayTimeout, true, 504)]
    [InlineData(302, EnvelopeCode.UpstreamError, false, 502)]
    [InlineData(401, EnvelopeCode.Unauthorized, false, 502)]
    public void Every_failure_status_has_its_code_retryability_and_mirrored_status(int status, EnvelopeCode code, bool retryable, int mirrored)
    {
        var result = Classify(status, """{"error":{"code":"X","message":"m"}}""");

        Assert.False(result.Ok);
        Assert.Equal(code, result.Code);
        Assert.Equal(retryable, result.Retryable);
        Assert.Equal(mirrored, result.Status);
        Assert.Equal(EnvelopeSource.Backend, result.Source);
    }

    [Fact]
    public void A_gateway_403_that_is_not_about_quota_is_Forbidden()
    {
        var result = Classify(403, """{"statusCode":403,"message":"Forbidden: caller IP address is not allowed."}""");

        Assert.Equal(EnvelopeCode.Forbidden, result.Code);
        Assert.Equal(EnvelopeSource.Gateway, result.Source);
    }

    [Fact]
    public void A_backend_403_that_mentions_quota_is_Forbidden_from_the_backend()
    {
        var result = Classify(403, """{"error":{"code":"QuotaPolicy","message":"Your plan's quota does not include exports."}}""");

        Assert.Equal(EnvelopeCode.Forbidden, result.Code);
        Assert.Equal(EnvelopeSource.Backend, result.Source);
    }

    [Fact]
    public void A_backend_401_about_a_subscription_key_is_not_the_gateways_SubscriptionKeyInvalid()
    {
        var result = Classify(401, """{"error":{"code":"Denied","message":"Your subscription key tier cannot call this."}}""");

        Assert.Equal(EnvelopeCode.Unauthorized, result.Code);
        Assert.Equal(EnvelopeSource.Backend, result.Source);
    }

    [Fact]
    public void A_gateway_401_without_token_words_does_not_ask_for_a_token_refresh()
    {
        var result = Classify(401, """{"statusCode":401,"message":"Access denied by the IP filter."}""");

        Assert.Equal(EnvelopeCode.Unauthorized, result.Code);
        Assert.False(result.TokenRejected);
    }

    [Fact]
    public void A_timeout_is_a_retryable_failure_from_the_network()
    {
        var result = ErrorClassifier.Classify(new Polly.Timeout.TimeoutRejectedException("t", TimeSpan.FromSeconds(3)), "demo");

        Assert.False(result.Ok);
        Assert.True(result.Retryable);
        Assert.Equal(EnvelopeSource.Network, result.Source);
    }

    [Fact]
    public void A_network_error_is_a_retryable_failure_with_status_502()
    {
        var result = ErrorClassifier.Classify(new IOException("reset"), "demo");

        Assert.False(result.Ok);
        Assert.True(result.Retryable);
        Assert.Equal(502, result.Status);
        Assert.Equal(EnvelopeCode.NetworkError, result.Code);
    }

    [Fact]
    public void An_open_circuit_is_retryable_after_the_breakers_own_wait_or_five_seconds()
    {
        var withWait = ErrorClassifier.Classify(new Polly.CircuitBreaker.BrokenCircuitException("open", TimeSpan.FromSeconds(12)), "demo");
        var withoutWait = ErrorClassifier.Classify(new Polly.CircuitBreaker.BrokenCircuitException("open"), "demo");

        Assert.False(withWait.Ok);
        Assert.Equal(EnvelopeCode.CircuitOpen, withWait.Code);
        Assert.True(withWait.Retryable);
        Assert.Equal(503, withWait.Status);
        Assert.Equal(TimeSpan.FromSeconds(12), withWait.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(5), withoutWait.RetryAfter);
        Assert.Contains("'demo'", withWait.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Anything_else_thrown_is_an_InternalError_that_is_not_retried()
    {
        var result = ErrorClassifier.Classify(new InvalidOperationException("bug"), "demo");

        Assert.Equal(EnvelopeCode.InternalError, result.Code);
        Assert.False(result.Retryable);
        Assert.False(result.Ok);
        Assert.DoesNotContain("bug", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_content_success_is_ok_with_status_200_and_null_data()
    {
        var result = Classify(204, "", null);

        Assert.True(result.Ok);
        Assert.Equal(200, result.Status);
        Assert.Equal(204, result.Upstream!.Status);
        Assert.Null(result.Data);
    }

    [Fact]
    public void Success_json_is_the_data()
    {
        var result = Classify(201, """{"id":"7","name":"pen"}""");

        Assert.True(result.Ok);
        Assert.Equal(201, result.Status);
        Assert.Equal("pen", result.Data!.Element.GetProperty("name").GetString());
    }

    [Fact]
    public void Text_success_is_a_json_string()
    {
        var result = Classify(200, "hello", "text/plain");

        Assert.Equal("hello", result.Data!.Element.GetString());
    }

    [Fact]
    public void Request_id_is_taken_from_the_response_headers()
    {
        var result = Classify(500, "", null, new() { ["x-ms-request-id"] = "req-1" });

        Assert.Equal("req-1", result.Upstream!.RequestId);
    }

    [Fact]
    public void Oversized_body_is_InvalidResponse_without_data()
    {
        var response = new UpstreamResponse(200, "application/json", ReadOnlyMemory<byte>.Empty, new Dictionary<string, string>(), BodyTooLarge: true);

        var result = ErrorClassifier.Classify(response, s_now);

        Assert.Equal(EnvelopeCode.InvalidResponse, result.Code);
        Assert.False(result.Ok);
    }

    [Theory]
    [InlineData(HttpRequestError.NameResolutionError, "resolved")]
    [InlineData(HttpRequestError.ConnectionError, "connect")]
    [InlineData(HttpRequestError.ResponseEnded, "closed the connection")]
    public void Transport_failures_are_NetworkError_from_the_network(HttpRequestError error, string expected)
    {
        var result = ErrorClassifier.Classify(new HttpRequestException(error, "boom"), "demo");

        Assert.Equal(EnvelopeCode.NetworkError, result.Code);
        Assert.Equal(EnvelopeSource.Network, result.Source);
        Assert.True(result.Retryable);
        Assert.Contains(expected, result.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("boom", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Polly_timeout_is_Timeout()
    {
        var result = ErrorClassifier.Classify(new Polly.Timeout.TimeoutRejectedException("t", TimeSpan.FromSeconds(20)), "demo");

        Assert.Equal(EnvelopeCode.Timeout, result.Code);
        Assert.Equal(504, result.Status);
        Assert.Contains("20 s", result.Message, StringComparison.Ordinal);
    }

    private static Classification Classify(int status, string body, string? contentType = "application/json", Dictionary<string, string>? headers = null) =>
        ErrorClassifier.Classify(
            new UpstreamResponse(status, contentType, Encoding.UTF8.GetBytes(body), new Dictionary<string, string>(headers ?? [], StringComparer.OrdinalIgnoreCase), false),
            s_now);
}
