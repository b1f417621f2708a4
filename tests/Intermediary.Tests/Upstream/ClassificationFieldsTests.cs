using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Intermediary.Envelopes;
using Intermediary.Upstream;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Intermediary.Tests.Upstream;

/// <summary>
/// Every field of a classification, for one case of each branch: the envelope a maker sees is the whole record,
/// so a flipped flag, a lost message or a dropped request id is a failing test, not only a wrong code.
/// </summary>
public sealed class ClassificationFieldsTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_body_over_the_limit_is_a_non_retryable_InvalidResponse_with_the_upstreams_details()
    {
        var result = ErrorClassifier.Classify(
            new UpstreamResponse(200, "application/json", Array.Empty<byte>(), Headers(("x-ms-request-id", "req-1")), BodyTooLarge: true), s_now);

        AssertFields(result, ok: false, status: 502, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend, retryable: false,
            "The upstream response is larger than this service accepts (MaxResponseBodyBytes).");
        Assert.Equal(new UpstreamDetails(200, "application/json", null, null, "req-1"), result.Upstream);
        Assert.Null(result.Data);
    }

    [Theory]
    [InlineData("x-ms-request-id")]
    [InlineData("apim-request-id")]
    [InlineData("x-request-id")]
    [InlineData("request-id")]
    [InlineData("x-correlation-request-id")]
    public void Each_request_id_header_is_read(string header) =>
        Assert.Equal("id-7", Classify(200, "{}", headers: (header, "id-7")).Upstream!.RequestId);

    [Fact]
    public void The_first_request_id_header_wins_and_blank_ones_are_skipped() =>
        Assert.Equal("apim", Classify(200, "{}", headers: [("x-ms-request-id", ""), ("apim-request-id", "apim"), ("x-request-id", "other")]).Upstream!.RequestId);

    [Fact]
    public void A_json_success_carries_the_json_and_no_upstream_message()
    {
        var result = Classify(200, """{"id":1}""");

        AssertFields(result, ok: true, status: 200, EnvelopeCode.Ok, EnvelopeSource.Backend, retryable: false, "OK");
        Assert.Equal(1, result.Data!.Element.GetProperty("id").GetInt32());
        Assert.Equal(new UpstreamDetails(200, "application/json", null, null, null), result.Upstream);
    }

    [Theory]
    [InlineData(204, "OK")]
    [InlineData(205, "OK")]
    [InlineData(304, "Not modified.")]
    [InlineData(201, "OK")]
    public void An_empty_success_is_ok_without_data(int status, string message)
    {
        var result = Classify(status, "", contentType: null);

        AssertFields(result, ok: true, status: status == 201 ? 201 : 200, EnvelopeCode.Ok, EnvelopeSource.Backend, retryable: false, message);
        Assert.Null(result.Data);
        Assert.Equal(status, result.Upstream!.Status);
    }

    [Fact]
    public void A_text_success_is_ok_with_the_text_as_data_and_no_upstream_message()
    {
        var result = Classify(200, "plain words", contentType: "text/plain");

        AssertFields(result, ok: true, status: 200, EnvelopeCode.Ok, EnvelopeSource.Backend, retryable: false, "OK");
        Assert.Equal("plain words", result.Data!.Element.GetString());
        Assert.Null(result.Upstream!.Message);
    }

    [Fact]
    public void A_text_failure_reports_its_excerpt_as_the_upstream_message()
    {
        var result = Classify(500, "the database is down", contentType: "text/plain");

        AssertFields(result, ok: false, status: 500, EnvelopeCode.UpstreamError, EnvelopeSource.Backend, retryable: true, "the database is down");
        Assert.Equal("the database is down", result.Upstream!.Message);
        Assert.Null(result.Data);
    }

    [Fact]
    public void A_json_failure_keeps_the_upstreams_body_as_data_and_its_code_and_message()
    {
        var result = Classify(404, """{"error":{"code":"ItemNotFound","message":"No item 'x'."}}""", headers: ("x-ms-request-id", "r9"));

        AssertFields(result, ok: false, status: 404, EnvelopeCode.NotFound, EnvelopeSource.Backend, retryable: false, "No item 'x'.");
        Assert.Equal("ItemNotFound", result.Data!.Element.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(new UpstreamDetails(404, "application/json", "ItemNotFound", "No item 'x'.", "r9"), result.Upstream);
        Assert.False(result.TokenRejected);
    }

    [Fact]
    public void A_json_failure_without_a_message_gets_our_message_for_the_status()
    {
        var result = Classify(503, """{"unexpected":true}""");

        AssertFields(result, ok: false, status: 503, EnvelopeCode.ServiceUnavailable, EnvelopeSource.Backend, retryable: true, "The upstream is temporarily unavailable.");
        Assert.Null(result.Upstream!.Message);
        Assert.True(result.Data!.Element.GetProperty("unexpected").GetBoolean());
    }

    [Theory]
    [InlineData("application/json", "{not json", "The upstream returned a body that is not valid JSON (HTTP 500).")]
    [InlineData("text/html", "<html><body><h1>Bad Gateway</h1></body></html>", "The upstream returned an HTML page instead of JSON (HTTP 500): Bad Gateway")]
    public void An_unreadable_failure_is_InvalidResponse_without_data(string contentType, string body, string message)
    {
        var result = Classify(500, body, contentType);

        AssertFields(result, ok: false, status: 500, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend, retryable: true, message);
        Assert.Null(result.Data);
    }

    [Theory]
    [InlineData("""{"statusCode":401,"message":"JWT not present."}""", null, true)]
    [InlineData("""{"statusCode":401,"message":"Invalid JWT."}""", null, true)]
    [InlineData("""{"error":{"code":"Expired","message":"The access token expired."}}""", null, true)]
    [InlineData("""{"error":{"code":"Nope","message":"Not you."}}""", "Bearer error=\"invalid_token\"", true)]
    [InlineData("""{"error":{"code":"Nope","message":"Not you."}}""", "Bearer realm=\"api\"", false)]
    [InlineData("""{"statusCode":401,"message":"Access denied due to invalid subscription key."}""", null, false)]
    public void Only_a_refused_token_asks_for_a_new_token(string body, string? challenge, bool tokenRejected)
    {
        var result = challenge is null ? Classify(401, body) : Classify(401, body, headers: ("WWW-Authenticate", challenge));

        Assert.Equal(tokenRejected, result.TokenRejected);
        Assert.Equal(502, result.Status);
        Assert.False(result.Retryable);
    }

    [Fact]
    public void A_token_word_on_another_status_never_asks_for_a_new_token() =>
        Assert.False(Classify(403, """{"error":{"code":"Denied","message":"The token lacks the role."}}""").TokenRejected);

    [Fact]
    public void A_binary_success_is_ok_with_base64_data()
    {
        var result = ErrorClassifier.Classify(
            new UpstreamResponse(200, "application/octet-stream", new byte[] { 1, 2, 3 }, Headers(), false), s_now);

        AssertFields(result, ok: true, status: 200, EnvelopeCode.Ok, EnvelopeSource.Backend, retryable: false, "Binary content (3 bytes), base64-encoded in data.");
        Assert.Equal("AQID", result.Data!.Element.GetString());
    }

    [Theory]
    [InlineData(200, "text/html", "<html><body><p>Sign in</p></body></html>", "The upstream returned an HTML page instead of JSON (HTTP 200): Sign in")]
    [InlineData(200, "text/html", "<html><body></body></html>", "The upstream returned an HTML page instead of JSON (HTTP 200): (empty page)")]
    [InlineData(200, "application/json", "{\"cut", "The upstream said JSON but sent a body that is not valid JSON (HTTP 200).")]
    public void An_unreadable_success_is_a_non_retryable_InvalidResponse(int status, string contentType, string body, string message)
    {
        var result = Classify(status, body, contentType);

        AssertFields(result, ok: false, status: 502, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend, retryable: false, message);
        Assert.Null(result.Data);
    }

    [Fact]
    public void An_empty_html_error_page_says_so() =>
        Assert.Equal("The upstream returned an HTML page instead of JSON (HTTP 500): (empty page)", Classify(500, "<html></html>", "text/html").Message);

    [Theory]
    [InlineData(300, EnvelopeCode.UpstreamError, false, 502)]
    [InlineData(403, EnvelopeCode.Forbidden, false, 403)]
    [InlineData(418, EnvelopeCode.BadRequest, false, 418)]
    [InlineData(599, EnvelopeCode.UpstreamError, false, 599)]
    [InlineData(600, EnvelopeCode.UpstreamError, false, 502)]
    public void Statuses_at_the_edges_of_their_ranges(int status, EnvelopeCode code, bool retryable, int mirrored)
    {
        var result = Classify(status, "upstream words", "text/plain");

        AssertFields(result, ok: false, mirrored, code, EnvelopeSource.Backend, retryable, "upstream words");
        Assert.Equal("upstream words", result.Upstream!.Message);
    }

    [Fact]
    public void A_json_error_at_the_first_non_success_status_is_read()
    {
        var result = Classify(300, """{"error":{"code":"Moved","message":"Go elsewhere."}}""");

        AssertFields(result, ok: false, status: 502, EnvelopeCode.UpstreamError, EnvelopeSource.Backend, retryable: false, "Go elsewhere.");
        Assert.Equal("Moved", result.Upstream!.Code);
    }

    [Fact]
    public void An_open_circuit_is_a_retryable_CircuitOpen_with_the_breakers_retry_after()
    {
        var result = ErrorClassifier.Classify(new BrokenCircuitException("open", TimeSpan.FromSeconds(12)), "orders");

        AssertFields(result, ok: false, status: 503, EnvelopeCode.CircuitOpen, EnvelopeSource.Intermediary, retryable: true,
            "Calls to upstream 'orders' are paused after repeated failures; try again shortly.");
        Assert.Equal(TimeSpan.FromSeconds(12), result.RetryAfter);
        Assert.Null(result.Upstream);
        Assert.Equal(TimeSpan.FromSeconds(5), ErrorClassifier.Classify(new BrokenCircuitException(), "orders").RetryAfter);
    }

    [Fact]
    public void A_timeout_is_a_retryable_Timeout_naming_the_limit()
    {
        var result = ErrorClassifier.Classify(new TimeoutRejectedException("late", TimeSpan.FromSeconds(2.5)), "orders");

        AssertFields(result, ok: false, status: 504, EnvelopeCode.Timeout, EnvelopeSource.Network, retryable: true, "The upstream did not answer within 2.5 s.");
        Assert.Null(result.RetryAfter);
    }

    [Fact]
    public void Exhausted_response_buffers_are_a_retryable_ServiceUnavailable_of_ours()
    {
        var result = ErrorClassifier.Classify(new ResponseBuffersExhaustedException(), "orders");

        AssertFields(result, ok: false, status: 503, EnvelopeCode.ServiceUnavailable, EnvelopeSource.Intermediary, retryable: true,
            "This service is holding too many large upstream responses at once; try again shortly.");
        Assert.Equal(TimeSpan.FromSeconds(5), result.RetryAfter);
    }

    [Fact]
    public void Transport_failures_are_retryable_NetworkErrors_with_a_message_for_each_cause()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "x", new SocketException((int)SocketError.ConnectionRefused));
        var cases = new (Exception Exception, string Message)[]
        {
            (new IOException("reset"), "The connection to the upstream was closed before a complete response was received."),
            (new HttpRequestException(HttpRequestError.NameResolutionError, "x"), "The upstream host name could not be resolved."),
            (refused, "The upstream refused the connection."),
            (new HttpRequestException(HttpRequestError.ConnectionError, "x"), "Could not connect to the upstream."),
            (new HttpRequestException(HttpRequestError.SecureConnectionError, "x"), "The TLS connection to the upstream could not be established."),
            (new HttpRequestException(HttpRequestError.ResponseEnded, "x"), "The upstream closed the connection before a complete response was received."),
            (new HttpRequestException(HttpRequestError.InvalidResponse, "x"), "The upstream sent a malformed HTTP response."),
            (new HttpRequestException("x", new IOException("broken pipe")), "The upstream closed the connection before a complete response was received."),
            (new HttpRequestException("x"), "The connection to the upstream failed."),
        };

        Assert.All(cases, c => AssertFields(ErrorClassifier.Classify(c.Exception, "orders"),
            ok: false, status: 502, EnvelopeCode.NetworkError, EnvelopeSource.Network, retryable: true, c.Message));
    }

    [Fact]
    public void Anything_else_is_a_non_retryable_InternalError_without_details()
    {
        var result = ErrorClassifier.Classify(new InvalidOperationException("bug"), "orders");

        AssertFields(result, ok: false, status: 500, EnvelopeCode.InternalError, EnvelopeSource.Intermediary, retryable: false,
            "An unexpected error occurred while calling the upstream.");
        Assert.Null(result.Upstream);
        Assert.DoesNotContain("bug", result.Message, StringComparison.Ordinal);
    }

    private static void AssertFields(Classification result, bool ok, int status, EnvelopeCode code, EnvelopeSource source, bool retryable, string message)
    {
        Assert.Equal((ok, status, code, source, retryable, message), (result.Ok, result.Status, result.Code, result.Source, result.Retryable, result.Message));
        Assert.False(result.TokenRejected);
    }

    private static Dictionary<string, string> Headers(params (string Name, string Value)[] headers) =>
        headers.ToDictionary(h => h.Name, h => h.Value, StringComparer.OrdinalIgnoreCase);

    private static Classification Classify(int status, string body, string? contentType = "application/json", params (string Name, string Value)[] headers) =>
        ErrorClassifier.Classify(new UpstreamResponse(status, contentType, Encoding.UTF8.GetBytes(body), Headers(headers), false), s_now);
}
