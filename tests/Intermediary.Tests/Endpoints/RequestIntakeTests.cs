using System.Text;
using System.Text.Json;
using Intermediary.Configuration;
using Intermediary.Endpoints;
using Intermediary.Envelopes;
using Intermediary.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Intermediary.Tests.Endpoints;

/// <summary>
/// The one gate every call and job passes, on its own: a request as an HTTP context or as a flow's JSON description
/// goes in, and a checked <c>UpstreamRequest</c> or the envelope that refuses it comes out.
/// </summary>
public sealed class RequestIntakeTests
{
    private const long BodyLimit = 64;

    private readonly RequestIntake _intake;

    public RequestIntakeTests()
    {
        var options = new IntermediaryOptions { MaxRequestBodyBytes = BodyLimit };
        var orders = new UpstreamOptions { BaseUrl = new Uri("https://apim.example/orders/") };
        orders.AllowedPaths.AddRange(["/items", "/carts/"]);
        options.Upstreams["orders"] = orders;
        _intake = new RequestIntake(Options.Create(options), NullLogger<RequestIntake>.Instance);
    }

    [Fact]
    public async Task An_allowed_request_keeps_its_method_path_query_allowlisted_headers_and_body()
    {
        var context = Http("PUT", "/api/call/orders/items/7", "?color=red&size=2&size=3", "{\"a\":1}",
            ("Content-Type", "application/json"), ("If-Match", "\"v1\""), ("X-Custom", "dropped"), ("Cookie", "session=dropped"));

        var request = Accepted(await _intake.FromHttpAsync(context, "orders", "items/7", "PUT"));

        Assert.Equal((HttpMethod.Put, "/items/7", "?color=red&size=2&size=3"), (request.Method, request.Path, request.Query));
        Assert.Equal(["Content-Type", "If-Match"], request.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(request.Body!.Value.Span));
        Assert.Equal("orders", request.Upstream);
    }

    [Theory]
    [InlineData("?code=secret-key", null)]
    [InlineData("?errorMode=status&CODE=secret-key", null)]
    [InlineData("?code=secret-key&page=2", "?page=2")]
    [InlineData("?ERRORMODE=body&q=a%20b", "?q=a%20b")]
    public async Task The_function_key_and_error_mode_are_for_this_service_and_never_reach_the_upstream(string query, string? forwarded)
    {
        var request = Accepted(await _intake.FromHttpAsync(Http("GET", "/api/call/orders/items", query), "orders", "items", "GET"));

        Assert.Equal(forwarded, request.Query);
    }

    [Theory]
    [InlineData("payments", "No upstream named 'payments' is configured.")]
    [InlineData("ord\u0001ers", "No upstream named 'ord?ers' is configured.")]
    public async Task An_unknown_upstream_is_not_found_and_its_name_is_echoed_only_as_printable_text(string upstream, string message)
    {
        var rejection = Rejected(await _intake.FromHttpAsync(Http("GET", "/api/call/x/items"), upstream, "items", "GET"));

        Assert.Equal((EnvelopeCode.NotFound, message), (rejection.Code, rejection.Message));
    }

    [Theory]
    [InlineData("TRACE")]
    [InlineData("CONNECT")]
    [InlineData("PROPFIND")]
    public async Task A_method_that_is_not_forwarded_is_refused(string method)
    {
        var rejection = Rejected(await _intake.FromHttpAsync(Http(method, "/api/call/orders/items"), "orders", "items", method));

        Assert.Equal(EnvelopeCode.MethodNotAllowed, rejection.Code);
    }

    [Theory]
    [InlineData("admin", EnvelopeCode.PathNotAllowed)]
    [InlineData("itemsX", EnvelopeCode.PathNotAllowed)]
    [InlineData("carts", EnvelopeCode.PathNotAllowed)]
    [InlineData("items/../admin", EnvelopeCode.InvalidRequest)]
    public async Task A_path_outside_the_allowlist_or_climbing_out_of_it_is_refused(string path, EnvelopeCode code)
    {
        var rejection = Rejected(await _intake.FromHttpAsync(Http("GET", "/api/call/orders/" + path), "orders", path, "GET"));

        Assert.Equal(code, rejection.Code);
    }

    [Fact]
    public async Task The_raw_target_is_checked_before_the_decoded_path_the_server_may_have_resolved()
    {
        // The server resolved /items/%2e%2e/admin to a path the allowlist would accept; the raw target shows the climb.
        var context = Http("GET", "/api/call/orders/items");
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = "/api/call/orders/items/%2e%2e/items";

        var rejection = Rejected(await _intake.FromHttpAsync(context, "orders", "items", "GET"));

        Assert.Equal(EnvelopeCode.InvalidRequest, rejection.Code);
    }

    [Fact]
    public async Task A_forwarded_header_that_cannot_be_sent_safely_is_refused()
    {
        var context = Http("GET", "/api/call/orders/items", headers: ("Accept", "application/json\u0001"));

        var rejection = Rejected(await _intake.FromHttpAsync(context, "orders", "items", "GET"));

        Assert.Equal(EnvelopeCode.InvalidRequest, rejection.Code);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_and_the_limit_named()
    {
        var context = Http("POST", "/api/call/orders/items", body: new string('x', (int)BodyLimit + 1));

        var rejection = Rejected(await _intake.FromHttpAsync(context, "orders", "items", "POST"));

        Assert.Equal(EnvelopeCode.PayloadTooLarge, rejection.Code);
        Assert.Equal($"The request body is larger than the {BodyLimit} bytes this service accepts.", rejection.Message);
        Accepted(await _intake.FromHttpAsync(Http("POST", "/api/call/orders/items", body: new string('x', (int)BodyLimit)), "orders", "items", "POST"));
    }

    [Fact]
    public void A_description_without_a_method_is_a_get_and_its_method_is_read_in_any_case()
    {
        Assert.Equal(HttpMethod.Get, Accepted(Describe("""{"path":"/items"}""")).Method);
        Assert.Equal(HttpMethod.Patch, Accepted(Describe("""{"method":" patch ","path":"items"}""")).Method);
    }

    [Fact]
    public void A_description_needs_a_path()
    {
        var rejection = Rejected(Describe("""{"method":"GET","path":" "}"""));

        Assert.Equal((EnvelopeCode.BadRequest, "The job needs a 'path' (e.g. \"/items\")."), (rejection.Code, rejection.Message));
    }

    [Theory]
    [InlineData("""{"path":"/items","body":{"a":1}}""", "{\"a\":1}", "application/json")]
    [InlineData("""{"path":"/items","body":"plain words"}""", "plain words", "text/plain; charset=utf-8")]
    [InlineData("""{"path":"/items","body":[1,2],"headers":{"Content-Type":"application/vnd.kettle+json"}}""", "[1,2]", "application/vnd.kettle+json")]
    public void A_described_body_is_sent_as_json_or_as_text_unless_the_description_names_its_type(string description, string body, string contentType)
    {
        var request = Accepted(Describe(description));

        Assert.Equal(body, Encoding.UTF8.GetString(request.Body!.Value.Span));
        Assert.Equal(contentType, request.Headers.Single(h => h.Key == "Content-Type").Value);
    }

    [Fact]
    public void A_description_without_a_body_sends_none_and_no_content_type()
    {
        var request = Accepted(Describe("""{"path":"/items","body":null}"""));

        Assert.Null(request.Body);
        Assert.DoesNotContain(request.Headers, h => h.Key == "Content-Type");
    }

    [Fact]
    public void A_described_query_is_encoded_and_described_headers_are_allowlisted()
    {
        var request = Accepted(Describe("""{"path":"/items","query":{"q":"a b&c"},"headers":{"Accept":"application/json","X-Custom":"dropped"}}"""));

        Assert.Equal("?q=a%20b%26c", request.Query);
        Assert.Equal(["Accept"], request.Headers.Select(h => h.Key));
    }

    [Fact]
    public void Every_described_header_is_checked_even_one_that_would_not_be_forwarded()
    {
        var rejection = Rejected(Describe("""{"path":"/items","headers":{"X-Custom":"a\r\nInjected: yes"}}"""));

        Assert.Equal(EnvelopeCode.InvalidRequest, rejection.Code);
    }

    [Fact]
    public void A_described_body_over_the_limit_is_refused()
    {
        var rejection = Rejected(Describe($$"""{"path":"/items","body":"{{new string('x', (int)BodyLimit + 1)}}"}"""));

        Assert.Equal(EnvelopeCode.PayloadTooLarge, rejection.Code);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public async Task A_body_that_is_not_a_description_is_a_bad_request_that_says_what_to_send(string body)
    {
        var rejection = Rejected(await _intake.FromDescriptionAsync(Http("POST", "/api/jobs/orders", body: body), "orders"));

        Assert.Equal(EnvelopeCode.BadRequest, rejection.Code);
        Assert.StartsWith("The body must be a JSON object {\"method\", \"path\", \"query\", \"headers\", \"body\"}", rejection.Message, StringComparison.Ordinal);
    }

    private Intake Describe(string json) =>
        _intake.FromDescription("orders", JsonSerializer.Deserialize(json, JobJsonContext.Default.JobStartBody)!, "corr-described");

    private static Intermediary.Upstream.UpstreamRequest Accepted(Intake intake)
    {
        Assert.True(intake.Rejection is null, intake.Rejection?.Message);
        return intake.Request!;
    }

    private static Envelope Rejected(Intake intake)
    {
        Assert.Null(intake.Request);
        return intake.Rejection!;
    }

    private static DefaultHttpContext Http(string method, string path, string query = "", string? body = null, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = path + query;
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
        }

        return context;
    }
}
