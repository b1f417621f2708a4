using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Intermediary.Tests.Caching;

/// <summary>The response cache end to end: the Server host over loopback, real HybridCache, the simulator as the upstream.</summary>
public sealed class CallCacheTests : IAsyncLifetime
{
    private const string SecondKey = "second-function-key-9876543210";
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync();

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task A_thousand_identical_concurrent_reads_make_one_upstream_request_and_share_its_answer()
    {
        await using var host = await StartAsync();
        using var active = ActiveRequests(host);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000 }) { BaseAddress = host.BaseAddress };

        Task<IntermediaryHost.Response>[] calls;
        using (_simulator.HoldApiResponses())
        {
            calls = [.. Enumerable.Range(0, 1000).Select(_ => GetAsync(client, "api/call/demo/items?page=1"))];
            // Every caller is inside the service (waiting on the one held upstream request) before the upstream answers.
            await Until(() => active.Count == 1000 && _simulator.InFlightApiRequests == 1);
        }

        var responses = await Task.WhenAll(calls);

        Assert.Equal(1, _simulator.CountApiRequests("/items"));
        Assert.All(responses, r => Assert.True(r.Ok, r.Body));
        Assert.Single(responses.Select(r => r.Data.GetRawText()).Distinct());
        Assert.Equal(1, responses.Count(r => Cache(r) is { Hit: false, Coalesced: false }));
        Assert.Equal(999, responses.Count(r => Cache(r) is { Hit: false, Coalesced: true, Stale: false }));
        Assert.Equal(1000, responses.Select(r => r.Envelope.GetProperty("correlationId").GetString()).Distinct().Count());

        var after = await host.GetAsync("api/call/demo/items?page=1");
        Assert.Equal((true, false, false), (Cache(after).Hit, Cache(after).Coalesced, Cache(after).Stale));
        Assert.Equal(1, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task Concurrent_reads_share_a_failure_too_but_it_is_not_kept()
    {
        await using var host = await StartAsync(new() { ["Intermediary:Upstreams:demo:Resilience:MaxRetries"] = "0" });
        using var active = ActiveRequests(host);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 50 }) { BaseAddress = host.BaseAddress };
        _simulator.StartItemsOutage();

        Task<IntermediaryHost.Response>[] calls;
        using (_simulator.HoldApiResponses())
        {
            calls = [.. Enumerable.Range(0, 50).Select(_ => GetAsync(client, "api/call/demo/items"))];
            await Until(() => active.Count == 50 && _simulator.InFlightApiRequests == 1);
        }

        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.Equal("ServiceUnavailable", r.Code));
        Assert.Equal(49, responses.Count(r => Cache(r).Coalesced));
        Assert.Equal(1, _simulator.CountApiRequests("/items"));

        _simulator.EndItemsOutage();
        var next = await host.GetAsync("api/call/demo/items");
        Assert.True(next.Ok, next.Body);
        Assert.False(Cache(next).Hit);
        Assert.Equal(2, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task A_caller_that_gives_up_does_not_cancel_the_request_others_wait_for()
    {
        await using var host = await StartAsync();
        using var active = ActiveRequests(host);
        using var quitting = new CancellationTokenSource();

        Task<HttpResponseMessage> quitter;
        Task<IntermediaryHost.Response> stayer;
        using (_simulator.HoldApiResponses())
        {
            quitter = host.Client.SendAsync(Get("api/call/demo/items"), quitting.Token);
            await Until(() => _simulator.InFlightApiRequests == 1);
            stayer = GetAsync(host.Client, "api/call/demo/items");
            await Until(() => active.Count == 2);

            await quitting.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => quitter);
            // The quitter's request has ended inside the service; the upstream request is still held, not canceled.
            await Until(() => active.Count == 1);
            Assert.Equal(1, _simulator.InFlightApiRequests);
        }

        var stayed = await stayer;
        Assert.True(stayed.Ok, stayed.Body);
        Assert.True(Cache(stayed).Coalesced);
        Assert.Equal(1, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task Kept_answers_are_served_until_their_ttl_and_then_fetched_again()
    {
        var clock = new TestClock();
        await using var host = await StartAsync(clock: clock);

        var first = await host.GetAsync("api/call/demo/items");
        clock.Advance(TimeSpan.FromSeconds(4));
        var second = await host.GetAsync("api/call/demo/items");
        clock.Advance(TimeSpan.FromSeconds(6));
        var lastFresh = await host.GetAsync("api/call/demo/items");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var third = await host.GetAsync("api/call/demo/items");

        Assert.Equal(new CacheView(false, false, false, 0), Cache(first));
        Assert.Equal(new CacheView(true, false, false, 4), Cache(second));
        Assert.Equal(0, second.Attempts);
        Assert.Equal(first.Data.GetRawText(), second.Data.GetRawText());
        Assert.Equal(new CacheView(true, false, false, 10), Cache(lastFresh));
        Assert.Equal(new CacheView(false, false, false, 0), Cache(third));
        Assert.Equal(2, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task Callers_that_find_an_answer_stale_share_one_refresh_per_question()
    {
        var clock = new TestClock();
        await using var host = await StartAsync(clock: clock);
        using var active = ActiveRequests(host);
        var one = await host.GetAsync("api/call/demo/items/1");
        var two = await host.GetAsync("api/call/demo/items/2");
        clock.Advance(TimeSpan.FromSeconds(11));

        Task<IntermediaryHost.Response>[] ones, twos;
        using (_simulator.HoldApiResponses())
        {
            ones = [.. Enumerable.Range(0, 5).Select(_ => GetAsync(host.Client, "api/call/demo/items/1"))];
            twos = [.. Enumerable.Range(0, 5).Select(_ => GetAsync(host.Client, "api/call/demo/items/2"))];
            // Both questions are being asked again, once each, while all ten callers wait.
            await Until(() => active.Count == 10 && _simulator.InFlightApiRequests == 2);
        }

        foreach (var (kept, refreshed) in new[] { (one, await Task.WhenAll(ones)), (two, await Task.WhenAll(twos)) })
        {
            Assert.All(refreshed, r => Assert.Equal(kept.Data.GetRawText(), r.Data.GetRawText()));
            Assert.Equal(1, refreshed.Count(r => Cache(r) == new CacheView(false, false, false, 0)));
            Assert.Equal(4, refreshed.Count(r => Cache(r) == new CacheView(false, true, false, 0)));
        }

        Assert.Equal(4, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task An_answer_beyond_the_instances_cache_budget_is_not_kept()
    {
        // Measure one answer, then give the cache room for one and a half of them.
        long budget;
        await using (var measuring = await StartAsync())
        {
            budget = Encoding.UTF8.GetByteCount((await measuring.GetAsync("api/call/demo/items/1")).Body) * 3 / 2;
        }

        _simulator.Reset();
        await using var host = await StartAsync(new() { ["Intermediary:ResponseCacheBytes"] = budget.ToString(CultureInfo.InvariantCulture) });
        await host.GetAsync("api/call/demo/items/1");
        var kept = await host.GetAsync("api/call/demo/items/1");
        await host.GetAsync("api/call/demo/items/2");
        var notKept = await host.GetAsync("api/call/demo/items/2");

        Assert.True(Cache(kept).Hit, $"one answer fits in {budget} bytes");
        Assert.True(notKept.Ok, notKept.Body);
        Assert.False(Cache(notKept).Hit, $"a second answer does not fit in {budget} bytes");
        Assert.Equal(2, _simulator.CountApiRequests("/items/2"));
    }

    [Fact]
    public async Task A_kept_answer_stands_in_while_the_upstream_is_down_and_says_how_old_it_is()
    {
        var clock = new TestClock();
        await using var host = await StartAsync(clock: clock);
        var fetchedAt = clock.GetUtcNow();
        var fresh = await host.GetAsync("api/call/demo/items");

        _simulator.StartItemsOutage();
        clock.Advance(TimeSpan.FromSeconds(42));
        var stale = await host.GetAsync("api/call/demo/items");
        // The time to live (10 s) and the stale-if-error window (5 min) after it, to the millisecond (the failed
        // refresh's backoff has moved the clock on a little since).
        clock.Advance(fetchedAt + TimeSpan.FromSeconds(310) - clock.GetUtcNow());
        var oldest = await host.GetAsync("api/call/demo/items");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var tooOld = await host.GetAsync("api/call/demo/items");

        Assert.True(stale.Ok, stale.Body);
        Assert.Equal("Ok", stale.Code);
        Assert.Equal(new CacheView(true, false, true, 42), Cache(stale));
        Assert.Equal(fresh.Data.GetRawText(), stale.Data.GetRawText());
        Assert.Contains("ServiceUnavailable", stale.Message, StringComparison.Ordinal);
        Assert.Contains("42 s ago", stale.Message, StringComparison.Ordinal);
        Assert.True(stale.Attempts > 1, "the failed refresh's attempts are reported");
        Assert.Contains(host.Logs.Lines, line => line.Contains("failed with ServiceUnavailable; served its answer from 42 s ago", StringComparison.Ordinal));
        Assert.Equal(new CacheView(true, false, true, 310), Cache(oldest));
        Assert.False(tooOld.Ok);
        Assert.Equal("ServiceUnavailable", tooOld.Code);
        Assert.Equal(new CacheView(false, false, false, 0), Cache(tooOld));
    }

    [Fact]
    public async Task Answers_kept_per_caller_are_never_seen_by_another_caller()
    {
        await using var host = await StartAsync(new()
        {
            ["Intermediary:FunctionKeys:second"] = SecondKey,
            ["Intermediary:Upstreams:demo:Cache:VaryByCaller"] = "true",
        });

        var firstBefore = await host.GetAsync("api/call/demo/items");
        var created = await host.CallAsync(HttpMethod.Post, "api/call/demo/items",
            r => r.Content = new StringContent("""{"name":"Only after","price":1}""", Encoding.UTF8, "application/json"));
        var secondCaller = await host.GetAsync("api/call/demo/items", AsSecondCaller);
        var firstAgain = await host.GetAsync("api/call/demo/items");
        var secondAgain = await host.GetAsync("api/call/demo/items", AsSecondCaller);

        Assert.True(created.Ok, created.Body);
        Assert.False(Cache(secondCaller).Hit);
        Assert.Contains("Only after", secondCaller.Data.GetRawText(), StringComparison.Ordinal);
        Assert.True(Cache(firstAgain).Hit);
        Assert.Equal(firstBefore.Data.GetRawText(), firstAgain.Data.GetRawText());
        Assert.DoesNotContain("Only after", firstAgain.Data.GetRawText(), StringComparison.Ordinal);
        Assert.True(Cache(secondAgain).Hit);
        Assert.Contains("Only after", secondAgain.Data.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(2, _simulator.CountApiRequests("/items") - 1);
    }

    [Fact]
    public async Task Without_per_caller_answers_a_second_caller_gets_the_kept_answer()
    {
        await using var host = await StartAsync(new() { ["Intermediary:FunctionKeys:second"] = SecondKey });

        await host.GetAsync("api/call/demo/items");
        var second = await host.GetAsync("api/call/demo/items", AsSecondCaller);

        Assert.True(Cache(second).Hit);
        Assert.Equal(1, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task Writes_other_paths_and_conditional_reads_do_not_go_through_the_cache()
    {
        await using var host = await StartAsync(new() { ["Intermediary:Upstreams:demo:Cache:Paths:1"] = "/echo" });

        var write = await host.CallAsync(HttpMethod.Post, "api/call/demo/items",
            r => r.Content = new StringContent("""{"name":"n","price":1}""", Encoding.UTF8, "application/json"));
        var otherPath = await host.GetAsync("api/call/demo/faults/status/200");
        var conditional = await host.GetAsync("api/call/demo/items", r => r.Headers.TryAddWithoutValidation("If-None-Match", "\"v1\""));
        var plain = await host.GetAsync("api/call/demo/items");

        Assert.Equal(JsonValueKind.Null, write.Envelope.GetProperty("cache").ValueKind);
        Assert.Equal(JsonValueKind.Null, otherPath.Envelope.GetProperty("cache").ValueKind);
        Assert.Equal(JsonValueKind.Null, conditional.Envelope.GetProperty("cache").ValueKind);
        Assert.Equal(JsonValueKind.Object, plain.Envelope.GetProperty("cache").ValueKind);
    }

    [Fact]
    public async Task The_upstreams_cache_control_is_obeyed()
    {
        var clock = new TestClock();
        await using var host = await StartAsync(new() { ["Intermediary:Upstreams:demo:Cache:Paths:1"] = "/echo" }, clock);

        await host.GetAsync("api/call/demo/echo?cacheControl=no-store");
        var noStore = await host.GetAsync("api/call/demo/echo?cacheControl=no-store");
        await host.GetAsync("api/call/demo/echo?cacheControl=max-age%3D3");
        clock.Advance(TimeSpan.FromSeconds(2));
        var young = await host.GetAsync("api/call/demo/echo?cacheControl=max-age%3D3");
        clock.Advance(TimeSpan.FromSeconds(2));
        var expired = await host.GetAsync("api/call/demo/echo?cacheControl=max-age%3D3");

        Assert.False(Cache(noStore).Hit);
        Assert.True(Cache(young).Hit);
        Assert.False(Cache(expired).Hit);
        Assert.Equal(4, _simulator.CountApiRequests("/echo"));
    }

    [Fact]
    public async Task Cache_answers_are_counted_by_outcome()
    {
        var clock = new TestClock();
        await using var host = await StartAsync(clock: clock);
        using var answers = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "Intermediary", "intermediary.cache.answers");

        await host.GetAsync("api/call/demo/items");
        await host.GetAsync("api/call/demo/items");
        _simulator.StartItemsOutage();
        clock.Advance(TimeSpan.FromSeconds(11));
        await host.GetAsync("api/call/demo/items");

        var outcomes = answers.GetMeasurementSnapshot().Select(m => (string)m.Tags["outcome"]!).ToList();
        Assert.Equal(["miss", "hit", "stale"], outcomes);
        Assert.All(answers.GetMeasurementSnapshot(), m => Assert.Equal("demo", m.Tags["upstream"]));
    }

    [Fact]
    public async Task The_demo_configuration_shows_a_hit_and_a_stale_answer_during_a_scripted_outage()
    {
        var clock = new TestClock();
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = clock });
        // The demo's cache settings as shipped; its short attempt timeout is left out, because the test clock's pump
        // advances every timer under 10 s as if it were a backoff.
        var demo = SimulatorUpstream.DemoSettings(simulator).Where(s => !s.Key.Contains(":Resilience:", StringComparison.Ordinal)).ToDictionary();
        await using var host = await IntermediaryHost.StartAsync(simulator, demo, clock);

        var first = await host.GetAsync("api/call/demo/items");
        var again = await host.GetAsync("api/call/demo/items");
        var outage = await host.GetAsync("api/call/demo/faults/outage?seconds=60");
        clock.Advance(TimeSpan.FromSeconds(11));
        var stale = await host.GetAsync("api/call/demo/items");
        clock.Advance(TimeSpan.FromSeconds(60));
        var recovered = await host.GetAsync("api/call/demo/items");

        Assert.True(first.Ok, first.Body);
        Assert.False(Cache(first).Hit);
        Assert.True(Cache(again).Hit, again.Body);
        Assert.True(outage.Ok, outage.Body);
        Assert.Equal(JsonValueKind.Null, outage.Envelope.GetProperty("cache").ValueKind);
        Assert.True(stale.Ok, stale.Body);
        Assert.Equal(new CacheView(true, false, true, 11), Cache(stale));
        Assert.True(recovered.Ok, recovered.Body);
        Assert.Equal(new CacheView(false, false, false, 0), Cache(recovered));
    }

    [Fact]
    public async Task Kept_answers_do_not_spend_the_subscriptions_rate_limit()
    {
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions { ApiRateLimitCalls = 2 });
        await using var host = await IntermediaryHost.StartAsync(simulator, new()
        {
            ["Intermediary:Upstreams:demo:Cache:Paths:0"] = "/items",
            ["Intermediary:Upstreams:demo:Resilience:MaxRetries"] = "0",
        });

        var sameList = new List<IntermediaryHost.Response>();
        for (var i = 0; i < 10; i++)
        {
            sameList.Add(await host.GetAsync("api/call/demo/items?list=open"));
        }

        var secondList = await host.GetAsync("api/call/demo/items?list=mine");
        var thirdList = await host.GetAsync("api/call/demo/items?list=recent");

        Assert.All(sameList, r => Assert.True(r.Ok, r.Body));
        Assert.True(secondList.Ok, secondList.Body);
        Assert.Equal("RateLimited", thirdList.Code);
        Assert.Equal("gateway", thirdList.Source);
        Assert.Equal(2, simulator.CountApiRequests("/items"));
    }

    private static void AsSecondCaller(HttpRequestMessage request)
    {
        request.Headers.Remove("x-functions-key");
        request.Headers.Add("x-functions-key", SecondKey);
    }

    private Task<IntermediaryHost> StartAsync(Dictionary<string, string?>? settings = null, TestClock? clock = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Intermediary:Upstreams:demo:Cache:Paths:0"] = "/items",
            ["Intermediary:Upstreams:demo:Cache:Ttl"] = "00:00:10",
            ["Intermediary:Upstreams:demo:Cache:StaleIfError"] = "00:05:00",
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        return IntermediaryHost.StartAsync(_simulator, all, clock);
    }

    private static HttpRequestMessage Get(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-functions-key", IntermediaryHost.FunctionKey);
        return request;
    }

    private static async Task<IntermediaryHost.Response> GetAsync(HttpClient client, string path)
    {
        using var request = Get(path);
        using var response = await client.SendAsync(request);
        return new IntermediaryHost.Response(response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Requests the host is working on right now, from ASP.NET Core's own hosting metric.</summary>
    private static ActiveRequestCount ActiveRequests(IntermediaryHost host) =>
        new(new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Hosting", "http.server.active_requests"));

    /// <summary>Waits for a condition the test itself brings about (a barrier, not a guess at timing).</summary>
    private static async Task Until(Func<bool> condition)
    {
        for (var i = 0; i < 6000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "the service never reached the expected state");
    }

    private static CacheView Cache(IntermediaryHost.Response response)
    {
        var cache = response.Envelope.GetProperty("cache");
        return new CacheView(cache.GetProperty("hit").GetBoolean(), cache.GetProperty("coalesced").GetBoolean(),
            cache.GetProperty("stale").GetBoolean(), cache.GetProperty("ageSeconds").GetInt32());
    }

    private sealed record CacheView(bool Hit, bool Coalesced, bool Stale, int AgeSeconds);

    private sealed class ActiveRequestCount(MetricCollector<long> collector) : IDisposable
    {
        public long Count => collector.GetMeasurementSnapshot().Sum(m => m.Value);

        public void Dispose() => collector.Dispose();
    }
}
