using System.Diagnostics.Metrics;
using System.Net;
using Intermediary.Diagnostics;
using Intermediary.Endpoints;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Intermediary.Tests.Diagnostics;

/// <summary>The service's own metrics report what happened (counts and tags, never timings).</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Calls_are_counted_by_code_with_their_attempts()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n <= 2
            ? ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, "{}")
            : ScriptedHandler.Json(HttpStatusCode.OK, "{}")));
        using var harness = new UpstreamHarness(handler);
        var meters = harness.Services.GetRequiredService<IMeterFactory>();
        using var calls = new MetricCollector<long>(meters, IntermediaryDiagnostics.Name, "intermediary.upstream.calls");
        using var attempts = new MetricCollector<int>(meters, IntermediaryDiagnostics.Name, "intermediary.upstream.attempts");

        await harness.SendAsync(HttpMethod.Get);

        var call = Assert.Single(calls.GetMeasurementSnapshot());
        Assert.Equal(1, call.Value);
        Assert.Equal("Ok", call.Tags["code"]);
        Assert.Equal("api", call.Tags["upstream"]);
        Assert.Equal(3, Assert.Single(attempts.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public async Task Token_acquisitions_say_whether_they_came_from_the_cache_and_a_held_token_skips_them()
    {
        await using var simulator = await ApimSimulator.StartAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(IntermediaryHost.UpstreamSettings(simulator)).Build());
        services.AddSingleton<TimeProvider>(clock);
        services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(simulator.CreateTrustingHandler);
        await using var provider = services.BuildServiceProvider();
        using var tokens = new MetricCollector<long>(provider.GetRequiredService<IMeterFactory>(), IntermediaryDiagnostics.Name, "intermediary.tokens.acquisitions");
        var tokenProvider = provider.GetRequiredService<ITokenProvider>();

        var first = await tokenProvider.GetTokenAsync("demo", null, default);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(first.AccessToken, (await tokenProvider.GetTokenAsync("demo", null, default)).AccessToken);
        }

        // The simulator's tokens live an hour and name no refresh time: held until five minutes before expiry.
        Assert.Equal(["identity_provider"], tokens.GetMeasurementSnapshot().Select(m => (string)m.Tags["source"]!));
        clock.SetUtcNow(first.ExpiresOn!.Value - TokenProvider.ExpiryMargin - TimeSpan.FromSeconds(1));
        await tokenProvider.GetTokenAsync("demo", null, default);
        Assert.Single(tokens.GetMeasurementSnapshot());
        clock.Advance(TimeSpan.FromSeconds(1));
        await tokenProvider.GetTokenAsync("demo", null, default);

        Assert.Equal(["identity_provider", "cache"], tokens.GetMeasurementSnapshot().Select(m => (string)m.Tags["source"]!));
        Assert.Equal(1, simulator.TokenRequestCount);
    }
}

public sealed class HeldTokenRejectionTests
{
    [Fact]
    public async Task A_rejected_token_is_no_longer_held_even_when_its_refresh_fails()
    {
        await using var simulator = await ApimSimulator.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(IntermediaryHost.UpstreamSettings(simulator)).Build());
        services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(simulator.CreateTrustingHandler);
        await using var provider = services.BuildServiceProvider();
        using var tokens = new MetricCollector<long>(provider.GetRequiredService<IMeterFactory>(), IntermediaryDiagnostics.Name, "intermediary.tokens.acquisitions");
        var tokenProvider = provider.GetRequiredService<ITokenProvider>();
        var held = (await tokenProvider.GetTokenAsync("demo", null, default)).AccessToken;

        simulator.SetTokenFault(new TokenFault(500, "server_error", "The identity provider is having a bad day.", 50000));
        var refresh = await tokenProvider.GetTokenAsync("demo", held, default);
        Assert.False(refresh.Succeeded);
        simulator.SetTokenFault(null);
        await tokenProvider.GetTokenAsync("demo", null, default);

        // identity provider (first), the cache lookup that found the rejected token, the failed refresh, and then a
        // lookup again: the rejected token was not handed out from the held slot.
        Assert.Equal(["identity_provider", "cache", "failed", "cache"], tokens.GetMeasurementSnapshot().Select(m => (string)m.Tags["source"]!));
    }
}

/// <summary>Traces: the service's own spans, and OpenTelemetry export switched on by the standard settings.</summary>
public sealed class TracingTests
{
    [Fact]
    public async Task An_upstream_call_is_a_span_with_its_outcome()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == IntermediaryDiagnostics.Name,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = seen.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.NotFound, """{"error":{"code":"Gone","message":"gone"}}""")));
        using var harness = new UpstreamHarness(handler);

        await harness.SendAsync(HttpMethod.Get, "/traced-path");

        Assert.Contains(seen, a => a.OperationName == "upstream call" && (string?)a.GetTagItem("intermediary.code") == "NotFound"
            && a.Status == System.Diagnostics.ActivityStatusCode.Error && (string?)a.GetTagItem("intermediary.upstream") == "api");
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("http://127.0.0.1:4317", true)]
    public async Task Otlp_export_is_on_exactly_when_its_endpoint_is_configured(string? endpoint, bool expected)
    {
        await using var app = await Intermediary.Server.IntermediaryServer.CreateAsync(["--urls", "http://127.0.0.1:0"], b =>
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
                ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = null,
                ["Intermediary:FunctionKeys:k"] = "k",
                ["Intermediary:Upstreams:u:BaseUrl"] = "https://example.invalid/",
                ["Intermediary:Upstreams:u:AllowedPaths:0"] = "/",
                ["Intermediary:Upstreams:u:Credential"] = "None",
            }));

        Assert.Equal(expected, app.Services.GetService<OpenTelemetry.Trace.TracerProvider>() is not null);
        Assert.Equal(expected, app.Services.GetService<OpenTelemetry.Metrics.MeterProvider>() is not null);
    }
}
