using Intermediary.Endpoints;
using Intermediary.Envelopes;
using Intermediary.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Intermediary.Tests.Integration;

/// <summary>
/// Requests broken at the HTTP level. What reaches the application gets an envelope and an Information line, never an
/// InternalError or a stack trace; what Kestrel refuses before any application code runs is the documented bare
/// answer (README, "What the server answers itself").
/// </summary>
public sealed class MalformedRequestTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private IntermediaryHost Host => fixture.Host;

    private static string Head(string method, string target, string extra = "") =>
        $"{method} {target} HTTP/1.1\r\nHost: x\r\nx-functions-key: {IntermediaryHost.FunctionKey}\r\n{extra}";

    [Theory]
    [InlineData("/api/call/demo/items?errorMode=status")]
    [InlineData("/api/jobs/demo?errorMode=status")]
    public async Task A_body_that_stalls_short_of_its_content_length_is_a_408_Timeout_without_an_error_log(string target)
    {
        // Kestrel's minimum body data rate, with a 1.5 s grace period so the stall is noticed quickly (its clock is real).
        await using var host = await IntermediaryHost.StartAsync(fixture.Simulator, services: services =>
            services.Configure<KestrelServerOptions>(k => k.Limits.MinRequestBodyDataRate = new MinDataRate(100, TimeSpan.FromSeconds(1.5))));
        var before = fixture.Simulator.GatewayRequestCount;

        var (status, body) = await RawHttp.SendExactAsync(host.BaseAddress,
            Head("POST", target, "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n") + "{\"path\":");

        Assert.Equal(408, status);
        Assert.Contains("\"code\":\"Timeout\"", body, StringComparison.Ordinal);
        Assert.Equal(before, fixture.Simulator.GatewayRequestCount);
        AssertNoErrorOrStackLogged(host);
    }

    [Fact]
    public async Task A_malformed_chunk_is_InvalidRequest_without_an_error_log()
    {
        var (status, body) = await RawHttp.SendExactAsync(Host.BaseAddress,
            Head("POST", "/api/call/demo/items?errorMode=status", "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n") + "zz\r\n{}\r\n0\r\n\r\n");

        Assert.Equal(400, status);
        Assert.Contains("\"code\":\"InvalidRequest\"", body, StringComparison.Ordinal);
        AssertNoErrorOrStackLogged();
    }

    [Theory]
    [InlineData(StatusCodes.Status408RequestTimeout, EnvelopeCode.Timeout)]
    [InlineData(StatusCodes.Status413PayloadTooLarge, EnvelopeCode.PayloadTooLarge)]
    [InlineData(StatusCodes.Status400BadRequest, EnvelopeCode.InvalidRequest)]
    public async Task The_servers_body_errors_become_envelopes_with_its_status(int status, EnvelopeCode code)
    {
        var context = new DefaultHttpContext();

        var result = await EndpointGuard.RunAsync(context, NullLogger.Instance, () => throw new Microsoft.AspNetCore.Http.BadHttpRequestException("refused while reading", status));

        Assert.Equal(code, result.Envelope.Code);
        Assert.Equal(status, result.Envelope.Status);
        Assert.DoesNotContain("refused while reading", result.Envelope.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_reset_by_the_caller_mid_body_is_a_cancellation_not_an_internal_error()
    {
        using var aborted = new CancellationTokenSource();
        var context = new DefaultHttpContext { RequestAborted = aborted.Token };
        await aborted.CancelAsync();

        var result = await EndpointGuard.RunAsync(context, NullLogger.Instance, () => throw new IOException("connection reset"));

        Assert.Equal(EnvelopeCode.Timeout, result.Envelope.Code);
    }

    [Fact]
    public async Task A_url_over_the_services_limit_gets_a_414_envelope()
    {
        var (status, body) = await RawHttp.SendAsync(Host.BaseAddress, $"GET /api/call/demo/items?errorMode=status&pad={new string('a', 9_000)} HTTP/1.1\r\n");

        Assert.Equal(414, status);
        Assert.Contains("\"code\":\"InvalidRequest\"", body, StringComparison.Ordinal);
        Assert.Contains("8000", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_over_the_services_limit_get_a_431_envelope()
    {
        var (status, body) = await RawHttp.SendAsync(Host.BaseAddress,
            $"GET /api/call/demo/items?errorMode=status HTTP/1.1\r\nX-Pad-1: {new string('a', 20_000)}\r\nX-Pad-2: {new string('b', 20_000)}\r\n");

        Assert.Equal(431, status);
        Assert.Contains("\"code\":\"InvalidRequest\"", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /api/call/demo/items?a=b c HTTP/1.1\r\n", 400)]
    [InlineData("GET /api/call/demo/items HTTP/1.7\r\n", 505)]
    public async Task A_request_line_kestrel_cannot_parse_gets_its_bare_answer(string requestLine, int expected)
    {
        var (status, body) = await RawHttp.SendAsync(Host.BaseAddress, requestLine);

        Assert.Equal(expected, status);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task Past_kestrels_own_limits_the_answer_is_bare()
    {
        var (urlStatus, urlBody) = await RawHttp.SendAsync(Host.BaseAddress, $"GET /api/call/demo/items?pad={new string('a', 20_000)} HTTP/1.1\r\n");
        var (headerStatus, headerBody) = await RawHttp.SendAsync(Host.BaseAddress,
            $"GET /api/call/demo/items HTTP/1.1\r\n{string.Concat(Enumerable.Range(0, 4).Select(i => $"X-Pad-{i}: {new string('a', 20_000)}\r\n"))}");

        Assert.Equal((414, ""), (urlStatus, urlBody));
        Assert.Equal((431, ""), (headerStatus, headerBody));
    }

    private void AssertNoErrorOrStackLogged(IntermediaryHost? host = null)
    {
        var lines = (host ?? Host).Logs.Lines.ToList();
        Assert.DoesNotContain(lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("   at ", StringComparison.Ordinal) && l.Contains("Intermediary", StringComparison.Ordinal));
    }
}
