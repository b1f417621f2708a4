using System.Text;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Upstream;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Security;

/// <summary>
/// Header smuggling and request-construction faults, checked at the byte level: a raw TCP upstream records what
/// really went over the wire, so a second request hidden in a header value would show up as a second request line.
/// </summary>
public sealed class HeaderInjectionTests : IAsyncLifetime
{
    private const string SubscriptionKey = "raw-upstream-subscription-key-0123";
    private readonly TestClock _clock = new();
    private ApimSimulator _simulator = null!;
    private RawUpstream _raw = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock });
        _raw = RawUpstream.Start();
        _host = await IntermediaryHost.StartAsync(_simulator, new()
        {
            ["Intermediary:Upstreams:raw:BaseUrl"] = _raw.BaseUrl.AbsoluteUri,
            ["Intermediary:Upstreams:raw:Credential"] = "None",
            ["Intermediary:Upstreams:raw:SubscriptionKey"] = SubscriptionKey,
            ["Intermediary:Upstreams:raw:AllowedPaths:0"] = "/ok",
            // Sensitive on purpose: two failures in a row would open the circuit if they were counted.
            ["Intermediary:Upstreams:raw:Resilience:CircuitBreakerMinimumThroughput"] = "2",
        }, _clock);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _raw.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Theory]
    [InlineData("application/json\r\nContent-Length: 0\r\n\r\nGET /api/outside HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("application/json\nX-Injected: yes")]
    [InlineData("application/json\rX-Injected: yes")]
    [InlineData("text/plain\0")]
    [InlineData("caf\u00e9")]
    [InlineData("tab\u007fdel")]
    public async Task A_job_description_whose_header_value_is_not_printable_ascii_is_refused_and_nothing_is_sent(string value)
    {
        var description = JsonDescription(("Accept", value));

        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/raw?errorMode=status", r => r.Content = description);

        Assert.Equal(400, started.StatusCode);
        Assert.Equal("InvalidRequest", started.Code);
        Assert.Contains("'Accept'", started.Message, StringComparison.Ordinal);
        Assert.Empty(_raw.RequestLines);
    }

    [Theory]
    [InlineData("X-Name\r\nX-Injected")]
    [InlineData("Bad Name")]
    [InlineData("Bad:Name")]
    [InlineData("")]
    [InlineData("Acc\u00e9pt")]
    public async Task A_job_description_with_a_header_name_that_is_not_a_token_is_refused(string name)
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/raw?errorMode=status", r => r.Content = JsonDescription((name, "x")));

        Assert.Equal(400, started.StatusCode);
        Assert.Equal("InvalidRequest", started.Code);
        Assert.Contains("header name", started.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", started.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", started.Message, StringComparison.Ordinal);
        Assert.Empty(_raw.RequestLines);
    }

    [Fact]
    public async Task A_well_formed_job_reaches_the_upstream_as_exactly_one_request_with_its_headers_intact()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/raw", r => r.Content = JsonDescription(("Accept", "application/json; q=0.9"), ("Prefer", "respond-async\twait=5")));

        var done = await _host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal("succeeded", done.JobStatus);
        var line = Assert.Single(_raw.RequestLines);
        Assert.Equal("GET /api/ok HTTP/1.1", line);
        Assert.Contains("\r\nAccept: application/json; q=0.9\r\n", _raw.Received, StringComparison.Ordinal);
        Assert.Contains($"\r\nOcp-Apim-Subscription-Key: {SubscriptionKey}\r\n", _raw.Received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_ascii_forwarded_header_on_a_call_is_refused_before_the_upstream()
    {
        // Sent as raw UTF-8 bytes (HttpClient would refuse to send them); Kestrel passes them on to the application.
        var (status, body) = await _clock.RunAsync(RawHttp.SendAsync(_host.BaseAddress,
            $"GET /api/call/raw/ok?errorMode=status HTTP/1.1\r\nx-functions-key: {IntermediaryHost.FunctionKey}\r\nAccept: caf\u00e9\r\n", Encoding.UTF8),
            due => due < TimeSpan.FromSeconds(10));

        Assert.Equal(400, status);
        Assert.Contains("\"code\":\"InvalidRequest\"", body, StringComparison.Ordinal);
        Assert.Contains("'Accept'", body, StringComparison.Ordinal);
        Assert.Empty(_raw.RequestLines);
    }

    [Theory]
    [InlineData("caf\u00e9")]
    [InlineData("application/json\r\nContent-Length: 0\r\n\r\nGET /api/outside HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("application/json\nX-Injected: yes")]
    public async Task A_request_built_elsewhere_with_a_bad_header_is_never_sent_retried_or_counted_by_the_breaker(string value)
    {
        // E.g. a job stored by an older version: the client itself refuses it, whatever intake did.
        var client = _host.Services.GetRequiredService<UpstreamClient>();
        var bad = new UpstreamRequest("raw", HttpMethod.Get, "/ok", null, [new("Accept", value)], null, "corr-bad");

        var refused = new List<UpstreamCallResult>();
        for (var i = 0; i < 10; i++)
        {
            // Pumped on the test clock: were the request retried, its backoff waits would pass instead of hanging.
            refused.Add(await _clock.RunAsync(client.SendAsync(bad, budget: null, CancellationToken.None), due => due < TimeSpan.FromSeconds(10)));
        }

        var innocent = await _clock.RunAsync(client.SendAsync(bad with { Headers = [new("Accept", "application/json")] }, budget: null, CancellationToken.None), due => due < TimeSpan.FromSeconds(10));

        Assert.All(refused, r =>
        {
            Assert.Equal("InvalidRequest", r.Envelope.Code.ToString());
            Assert.Equal(0, r.Envelope.Attempts);
            Assert.False(r.Envelope.Retryable);
        });
        Assert.True(innocent.Envelope.Ok, innocent.Envelope.Message);
        Assert.Equal("GET /api/ok HTTP/1.1", Assert.Single(_raw.RequestLines));
    }

    private static StringContent JsonDescription(params (string Name, string Value)[] headers)
    {
        var builder = new StringBuilder("{\"method\":\"GET\",\"path\":\"/ok\",\"headers\":{");
        builder.AppendJoin(',', headers.Select(h => $"{System.Text.Json.JsonSerializer.Serialize(h.Name)}:{System.Text.Json.JsonSerializer.Serialize(h.Value)}"));
        builder.Append("}}");
        return new StringContent(builder.ToString(), Encoding.UTF8, "application/json");
    }
}
