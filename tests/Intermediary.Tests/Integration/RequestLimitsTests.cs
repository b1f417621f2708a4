using System.Text;
using Intermediary.Endpoints;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Intermediary.Tests.Integration;

public sealed class RequestLimitsTests : IAsyncLifetime
{
    private readonly TestClock _clock = new();
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock });

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Body_over_the_limit_is_PayloadTooLarge_and_never_forwarded()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:MaxRequestBodyBytes"] = "1024" }, _clock);

        var response = await host.CallAsync(HttpMethod.Post, "api/call/demo/items?errorMode=status",
            r => r.Content = new StringContent($$"""{"name":"{{new string('x', 2000)}}"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(413, response.StatusCode);
        Assert.Equal("PayloadTooLarge", response.Code);
        Assert.Equal(0, _simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_PayloadTooLarge_too()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:MaxRequestBodyBytes"] = "1024" }, _clock);

        var response = await host.CallAsync(HttpMethod.Post, "api/call/demo/items", r =>
        {
            r.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string('x', 5000))));
            r.Headers.TransferEncodingChunked = true;
        });

        Assert.Equal("PayloadTooLarge", response.Code);
        Assert.Equal(0, _simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Slow_upstream_becomes_Timeout_when_the_attempt_timeout_passes()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new()
        {
            ["Intermediary:Upstreams:demo:Resilience:AttemptTimeout"] = "00:00:05",
            ["Intermediary:Upstreams:demo:Resilience:MaxRetries"] = "0",
        }, _clock);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/call/demo/faults/slow?seconds=600&errorMode=status");
        request.Headers.Add("x-functions-key", IntermediaryHost.FunctionKey);

        var sending = host.Client.SendAsync(request);
        await Eventually.True(() => _simulator.InFlightApiRequests == 1, "the slow request reached the upstream");
        _clock.Advance(TimeSpan.FromSeconds(5));
        using var response = await sending;
        var envelope = new IntermediaryHost.Response(response, await response.Content.ReadAsStringAsync());

        Assert.Equal(504, envelope.StatusCode);
        Assert.Equal("Timeout", envelope.Code);
        Assert.Equal(1, envelope.Attempts);
        Assert.Contains("5 s", envelope.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_reports_token_and_reachability_per_upstream()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, IntermediaryHost.UpstreamSettings(_simulator, "second"));

        var response = await host.GetAsync("api/health");

        Assert.True(response.Ok, response.ToString());
        var upstreams = response.Data.GetProperty("upstreams").EnumerateArray().ToList();
        Assert.Equal(2, upstreams.Count);
        Assert.All(upstreams, u =>
        {
            Assert.Equal("ok", u.GetProperty("token").GetString());
            Assert.True(u.GetProperty("reachable").GetBoolean());
        });
    }

    [Fact]
    public async Task Health_is_ServiceUnavailable_when_a_token_cannot_be_had()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:Upstreams:demo:ClientSecret"] = "bad" });

        var response = await host.GetAsync("api/health?errorMode=status");

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("ServiceUnavailable", response.Code);
        var upstream = Assert.Single(response.Data.GetProperty("upstreams").EnumerateArray());
        Assert.Equal("AADSTS7000215", upstream.GetProperty("tokenError").GetString());
    }

    [Fact]
    public async Task Readiness_runs_as_standard_health_checks_one_per_upstream()
    {
        var closedPort = AzuriteProcess.FreePort();
        await using var host = await IntermediaryHost.StartAsync(_simulator, new()
        {
            ["Intermediary:Upstreams:down:BaseUrl"] = $"http://127.0.0.1:{closedPort}/",
            ["Intermediary:Upstreams:down:AllowedPaths:0"] = "/",
            ["Intermediary:Upstreams:down:Credential"] = "None",
        });

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync(r => r.Tags.Contains(UpstreamHealthCheck.Tag));
        var envelope = await host.GetAsync("api/health?errorMode=status");

        Assert.Equal(["demo", "down"], report.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(HealthStatus.Healthy, report.Entries["demo"].Status);
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["down"].Status);
        Assert.Equal(false, report.Entries["down"].Data["reachable"]);
        Assert.Equal("not-needed", report.Entries["down"].Data["token"]);
        Assert.Equal((503, "ServiceUnavailable"), (envelope.StatusCode, envelope.Code));
        var down = envelope.Data.GetProperty("upstreams").EnumerateArray().Single(u => u.GetProperty("name").GetString() == "down");
        Assert.False(down.GetProperty("healthy").GetBoolean());
        Assert.False(down.GetProperty("reachable").GetBoolean());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, down.GetProperty("status").ValueKind);
    }
}

