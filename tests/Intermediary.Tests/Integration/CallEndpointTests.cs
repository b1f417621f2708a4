using System.Net;
using System.Text;
using System.Text.Json;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Integration;

/// <summary>Server ↔ simulator over real loopback HTTP with real MSAL: the synchronous call path end to end.</summary>
public sealed class CallEndpointTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private IntermediaryHost Host => fixture.Host;

    private static string Key() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task Success_returns_the_api_json_as_data()
    {
        var response = await Host.GetAsync("api/call/demo/items");

        Assert.Equal(200, response.StatusCode);
        Assert.True(response.Ok, response.ToString());
        Assert.Equal("Ok", response.Code);
        Assert.Equal("backend", response.Source);
        Assert.Equal(1, response.Attempts);
        Assert.Equal(JsonValueKind.Array, response.Data.ValueKind);
        Assert.Equal(200, response.Upstream.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(response.Upstream.GetProperty("requestId").GetString()));
    }

    [Fact]
    public async Task Post_creates_and_validation_errors_are_ValidationFailed()
    {
        var created = await Host.CallAsync(HttpMethod.Post, "api/call/demo/items?errorMode=status",
            r => r.Content = new StringContent("""{"name":"pen","price":2.5}""", Encoding.UTF8, "application/json"));
        var invalid = await Host.CallAsync(HttpMethod.Post, "api/call/demo/items",
            r => r.Content = new StringContent("""{"price":-1}""", Encoding.UTF8, "application/json"));

        Assert.True(created.Ok, created.ToString());
        Assert.Equal(201, created.StatusCode);
        Assert.Equal(201, created.Envelope.GetProperty("status").GetInt32());
        Assert.Equal("pen", created.Data.GetProperty("name").GetString());
        Assert.False(invalid.Ok);
        Assert.Equal("ValidationFailed", invalid.Code);
        Assert.Equal(200, invalid.StatusCode);
    }

    [Fact]
    public async Task Body_mode_answers_200_even_for_a_created_resource_and_keeps_the_status_in_the_envelope()
    {
        var created = await Host.CallAsync(HttpMethod.Post, "api/call/demo/items",
            r => r.Content = new StringContent("""{"name":"cup","price":1}""", Encoding.UTF8, "application/json"));

        Assert.Equal(200, created.StatusCode);
        Assert.Equal(201, created.Envelope.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Backend_not_found_keeps_the_azure_error_code_and_message()
    {
        var response = await Host.GetAsync("api/call/demo/items/does-not-exist");

        Assert.Equal("NotFound", response.Code);
        Assert.Equal("backend", response.Source);
        Assert.Equal("ItemNotFound", response.Upstream.GetProperty("code").GetString());
        Assert.Contains("does-not-exist", response.Message, StringComparison.Ordinal);
        Assert.Contains("'does-not-exist'", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flaky_503_is_recovered_with_correct_attempts()
    {
        var key = Key();

        var response = await Host.GetAsync($"api/call/demo/faults/flaky?failures=2&status=503&key={key}");

        Assert.True(response.Ok, response.ToString());
        Assert.Equal(3, response.Attempts);
        Assert.Equal(3, fixture.Simulator.Requests.Count(r => r.PathAndQuery.Contains(key, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Rate_limit_with_retry_after_inside_the_budget_is_waited_out()
    {
        var response = await Host.GetAsync($"api/call/demo/faults/flaky?failures=1&status=429&retryAfter=3&key={Key()}");

        Assert.True(response.Ok, response.ToString());
        Assert.Equal(2, response.Attempts);
        Assert.True(response.Envelope.GetProperty("durationMs").GetInt64() >= 3000, "the 3 s Retry-After was honoured on the test clock");
    }

    [Fact]
    public async Task Rate_limit_with_retry_after_beyond_the_budget_answers_at_once()
    {
        var response = await Host.CallAsync(HttpMethod.Get, "api/call/demo/faults/status/429?retryAfter=120",
            r => r.Headers.Add("X-Error-Mode", "status"));

        Assert.Equal(429, response.StatusCode);
        Assert.Equal("RateLimited", response.Code);
        Assert.Equal(1, response.Attempts);
        Assert.Equal(120, response.RetryAfterSeconds);
        Assert.Equal("120", response.Headers["Retry-After"]);
    }

    [Fact]
    public async Task Apim_rate_limit_policy_is_reported_as_the_gateways()
    {
        IntermediaryHost.Response? last = null;
        for (var i = 0; i < 4; i++)
        {
            last = await Host.GetAsync("api/call/tight/faults/ratelimit");
        }

        Assert.Equal("RateLimited", last!.Code);
        Assert.Equal("gateway", last.Source);
        Assert.Contains("Rate limit is exceeded", last.Message, StringComparison.Ordinal);
        Assert.InRange(last.RetryAfterSeconds ?? 0, 31, 60);
        Assert.Equal(1, last.Attempts);
    }

    [Fact]
    public async Task Apim_quota_is_QuotaExceeded()
    {
        var response = await Host.GetAsync("api/call/demo/faults/quota");

        Assert.Equal("QuotaExceeded", response.Code);
        Assert.Equal("gateway", response.Source);
        Assert.False(response.Envelope.GetProperty("retryable").GetBoolean());
    }

    [Fact]
    public async Task Html_error_page_is_InvalidResponse_without_markup()
    {
        var response = await Host.GetAsync("api/call/demo/faults/html");

        Assert.Equal("InvalidResponse", response.Code);
        Assert.DoesNotContain("<", response.Message, StringComparison.Ordinal);
        Assert.Contains("Bad Gateway", response.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(JsonValueKind.Null, response.Data.ValueKind);
    }

    [Fact]
    public async Task Invalid_json_from_the_upstream_is_InvalidResponse()
    {
        var response = await Host.GetAsync("api/call/demo/faults/invalid-json");

        Assert.Equal("InvalidResponse", response.Code);
        Assert.False(response.Ok);
    }

    [Fact]
    public async Task Connection_reset_is_NetworkError()
    {
        var response = await Host.GetAsync("api/call/demo/faults/reset");

        Assert.Equal("NetworkError", response.Code);
        Assert.Equal("network", response.Source);
        Assert.Contains("closed the connection", response.Message, StringComparison.Ordinal);
        Assert.True(response.Attempts > 1, "GET is idempotent, so a reset is retried");
    }

    [Fact]
    public async Task Status_mode_mirrors_the_failure_and_body_mode_answers_200()
    {
        var body = await Host.GetAsync("api/call/demo/items/nope");
        var status = await Host.GetAsync("api/call/demo/items/nope?errorMode=status");
        var header = await Host.CallAsync(HttpMethod.Get, "api/call/demo/items/nope", r => r.Headers.Add("X-Error-Mode", "status"));

        Assert.Equal(200, body.StatusCode);
        Assert.False(body.Ok);
        Assert.Equal(404, status.StatusCode);
        Assert.Equal(404, header.StatusCode);
        Assert.Equal(404, body.Envelope.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Correlation_id_round_trips_to_the_upstream_and_back()
    {
        const string correlationId = "maker-trace-12345";

        var response = await Host.CallAsync(HttpMethod.Get, "api/call/demo/echo", r => r.Headers.Add("x-correlation-id", correlationId));

        Assert.Equal(correlationId, response.Headers["x-correlation-id"]);
        Assert.Equal(correlationId, response.Envelope.GetProperty("correlationId").GetString());
        var echoed = response.Data.GetProperty("headers");
        Assert.Equal(correlationId, HeaderValue(echoed, "x-correlation-id"));
    }

    [Fact]
    public async Task The_callers_w3c_trace_continues_to_the_upstream()
    {
        const string traceId = "0af7651916cd43dd8448eb211c80319c";

        var response = await Host.CallAsync(HttpMethod.Get, "api/call/demo/echo", r => r.Headers.Add("traceparent", $"00-{traceId}-b7ad6b7169203331-01"));

        var sent = HeaderValue(response.Data.GetProperty("headers"), "traceparent");
        Assert.NotNull(sent);
        Assert.Equal(traceId, sent.Split('-')[1]);
        Assert.NotEqual("b7ad6b7169203331", sent.Split('-')[2]);
    }

    [Fact]
    public async Task Only_allowlisted_headers_reach_the_upstream_and_caller_secrets_never_do()
    {
        var marker = Key();
        var response = await Host.CallAsync(HttpMethod.Get, $"api/call/demo/echo?keep={marker}&code=leaked-key", r =>
        {
            r.Headers.Add("Accept-Language", "nl-NL");
            r.Headers.Add("Cookie", "session=abc");
            r.Headers.Add("X-Custom", "not-allowlisted");
            r.Headers.TryAddWithoutValidation("Authorization", "Bearer caller-token");
        });

        var headers = response.Data.GetProperty("headers");
        Assert.Equal("nl-NL", HeaderValue(headers, "Accept-Language"));
        Assert.Null(HeaderValue(headers, "Cookie"));
        Assert.Null(HeaderValue(headers, "X-Custom"));
        Assert.Null(HeaderValue(headers, "x-functions-key"));
        // The upstream got our token in place of the caller's; its echo of it does not come back (see CredentialEchoTests).
        var sent = fixture.Simulator.Requests.Single(r => r.PathAndQuery.Contains(marker, StringComparison.Ordinal));
        Assert.StartsWith("Bearer ey", sent.Headers["Authorization"], StringComparison.Ordinal);
        Assert.Equal("Bearer [redacted]", HeaderValue(headers, "Authorization"));
        var query = response.Data.GetProperty("query").ToString();
        Assert.Contains("keep", query, StringComparison.Ordinal);
        Assert.DoesNotContain("leaked-key", query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_callers_Idempotency_Key_reaches_the_upstream_and_makes_a_post_safe_to_retry()
    {
        var withKey = Key();
        var withoutKey = Key();

        var keyed = await Host.CallAsync(HttpMethod.Post, $"api/call/demo/faults/flaky?failures=1&key={withKey}",
            r => r.Headers.Add("Idempotency-Key", withKey));
        var unkeyed = await Host.CallAsync(HttpMethod.Post, $"api/call/demo/faults/flaky?failures=1&key={withoutKey}");

        Assert.True(keyed.Ok, keyed.ToString());
        Assert.Equal(2, keyed.Attempts);
        Assert.All(fixture.Simulator.Requests.Where(r => r.PathAndQuery.Contains(withKey, StringComparison.Ordinal)),
            r => Assert.Equal(withKey, r.Headers["Idempotency-Key"]));
        Assert.Equal("ServiceUnavailable", unkeyed.Code);
        Assert.Equal(1, unkeyed.Attempts);
    }

    [Fact]
    public async Task Every_default_forwarded_header_reaches_the_upstream_with_its_value()
    {
        var marker = Key();
        var response = await Host.CallAsync(HttpMethod.Post, $"api/call/demo/echo?m={marker}", r =>
        {
            r.Content = new StringContent("{}", Encoding.UTF8, "application/json");
            r.Headers.Add("Accept", "application/json");
            r.Headers.Add("Accept-Language", "nl-NL");
            r.Headers.TryAddWithoutValidation("If-Match", "\"v1\"");
            r.Headers.TryAddWithoutValidation("If-None-Match", "\"v2\"");
            r.Headers.Add("Idempotency-Key", marker);
            r.Headers.Add("Prefer", "return=minimal");
        });

        Assert.True(response.Ok, response.ToString());
        var sent = fixture.Simulator.Requests.Single(r => r.PathAndQuery.Contains(marker, StringComparison.Ordinal)).Headers;
        Assert.Equal("application/json", sent["Accept"]);
        Assert.Equal("nl-NL", sent["Accept-Language"]);
        Assert.StartsWith("application/json", sent["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("\"v1\"", sent["If-Match"]);
        Assert.Equal("\"v2\"", sent["If-None-Match"]);
        Assert.Equal(marker, sent["Idempotency-Key"]);
        Assert.Equal("return=minimal", sent["Prefer"]);
    }

    [Fact]
    public async Task Missing_or_wrong_caller_key_is_Unauthenticated_and_never_reaches_the_upstream()
    {
        var before = fixture.Simulator.GatewayRequestCount;

        var missing = await Host.CallAsync(HttpMethod.Get, "api/call/demo/items?errorMode=status", withKey: false);
        var wrong = await Host.CallAsync(HttpMethod.Get, "api/call/demo/items?errorMode=status", r => r.Headers.Add("x-functions-key", "wrong"), withKey: false);
        var bodyMode = await Host.CallAsync(HttpMethod.Get, "api/call/demo/items", withKey: false);

        Assert.Equal(401, missing.StatusCode);
        Assert.Equal("Unauthenticated", missing.Code);
        Assert.Equal(401, wrong.StatusCode);
        Assert.Equal(200, bodyMode.StatusCode);
        Assert.Equal("Unauthenticated", bodyMode.Code);
        Assert.Equal(before, fixture.Simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Caller_key_in_the_code_query_works_like_functions()
    {
        var response = await Host.CallAsync(HttpMethod.Get, $"api/call/demo/items?code={IntermediaryHost.FunctionKey}", withKey: false);

        Assert.True(response.Ok, response.ToString());
    }

    [Theory]
    [InlineData("/api/call/demo/items/%2e%2e/%2e%2e/admin", "InvalidRequest")]
    [InlineData("/api/call/demo/items/..%2fadmin", "InvalidRequest")]
    [InlineData("/api/call/demo/items%5c..%5cadmin", "InvalidRequest")]
    [InlineData("/api/call/demo//items", "InvalidRequest")]
    [InlineData("/api/call/demo/items/%252e%252e/admin", "InvalidRequest")]
    [InlineData("/api/call/demo/admin", "PathNotAllowed")]
    [InlineData("/api/call/demo/http:%2f%2fevil.example/x", "InvalidRequest")]
    public async Task Traversal_attempts_never_reach_the_upstream(string target, string code)
    {
        var before = fixture.Simulator.GatewayRequestCount;

        var (status, body) = await RawHttp.SendAsync(Host.BaseAddress, $"GET {target} HTTP/1.1\r\nx-functions-key: {IntermediaryHost.FunctionKey}\r\nX-Error-Mode: status\r\n");

        using var envelope = JsonDocument.Parse(body);
        Assert.Equal(code, envelope.RootElement.GetProperty("code").GetString());
        Assert.True(status is 400 or 403, $"HTTP {status}");
        Assert.Equal(before, fixture.Simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Dot_segments_sent_as_is_never_reach_the_upstream()
    {
        var before = fixture.Simulator.GatewayRequestCount;

        var (_, body) = await RawHttp.SendAsync(Host.BaseAddress, $"GET /api/call/demo/items/../../admin HTTP/1.1\r\nx-functions-key: {IntermediaryHost.FunctionKey}\r\n");

        using var envelope = JsonDocument.Parse(body);
        Assert.False(envelope.RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(before, fixture.Simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Unknown_upstream_route_and_method_get_envelopes()
    {
        var upstream = await Host.GetAsync("api/call/nowhere/items?errorMode=status");
        var route = await Host.GetAsync("api/nothing-here?errorMode=status");
        var method = await Host.CallAsync(HttpMethod.Post, "api/health?errorMode=status");
        var trace = await Host.CallAsync(new HttpMethod("TRACE"), "api/call/demo/items?errorMode=status");

        Assert.Equal(("NotFound", 404), (upstream.Code, upstream.StatusCode));
        Assert.Equal(("NotFound", 404), (route.Code, route.StatusCode));
        Assert.Equal(("MethodNotAllowed", 405), (method.Code, method.StatusCode));
        Assert.Equal(("MethodNotAllowed", 405), (trace.Code, trace.StatusCode));
    }

    private static string? HeaderValue(JsonElement headers, string name) =>
        headers.EnumerateObject().Where(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            .Select(p => p.Value.ValueKind == JsonValueKind.Array ? string.Join(",", p.Value.EnumerateArray().Select(v => v.GetString())) : p.Value.GetString())
            .FirstOrDefault();
}
