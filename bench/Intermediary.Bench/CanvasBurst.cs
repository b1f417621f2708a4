using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Intermediary.Endpoints;
using Intermediary.Server;
using Intermediary.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Intermediary.Bench;

/// <summary>
/// Canvas traffic against an APIM rate limit, with and without the response cache: C callers open the app at the same
/// moment and then refresh the same three lists every few seconds (a gallery's refresh timer), each refresh loading
/// the three at once. The gateway allows R calls per window per subscription key over the whole API, as APIM's
/// rate-limit policy at product scope does. Counts what reached the backend, what the gateway refused, what callers
/// were answered and how long they waited. The Server host and the simulator run in this process.
/// </summary>
internal static class CanvasBurst
{
    private const string Key = "bench-function-key-0123456789";
    private static readonly string[] s_lists = ["/items?list=open", "/items?list=mine", "/items?list=recent"];

    public static async Task<int> RunAsync(string[] args)
    {
        var callers = Option(args, "--callers", 200);
        var seconds = Option(args, "--duration", 60);
        var every = Option(args, "--every", 3);
        var limit = Option(args, "--limit", 150);
        var window = Option(args, "--window", 10);
        var output = args.SkipWhile(a => a != "--output").Skip(1).FirstOrDefault() ?? Path.Combine("bench", "results");

        var runs = new List<Run>();
        foreach (var cached in new[] { false, true })
        {
            runs.Add(await RunOnceAsync(cached, callers, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(every), limit, TimeSpan.FromSeconds(window)));
            Console.WriteLine(runs[^1].Row());
        }

        var report = Report(runs, callers, seconds, every, limit, window);
        Directory.CreateDirectory(output);
        await File.WriteAllTextAsync(Path.Combine(output, "canvas-burst.md"), report);
        Console.WriteLine(report);
        return 0;
    }

    private static async Task<Run> RunOnceAsync(bool cached, int callers, TimeSpan duration, TimeSpan every, int limit, TimeSpan window)
    {
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions { ApiRateLimitCalls = limit, RateLimitPeriod = window });
        await using var app = await IntermediaryServer.CreateAsync(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Logging.ClearProviders();
            var settings = SimulatorUpstream.Settings(simulator, "demo", "/items");
            settings["Intermediary:FunctionKeys:bench"] = Key;
            // A canvas app waits at most about two minutes; the default budget stays well below it.
            if (cached)
            {
                settings["Intermediary:Upstreams:demo:Cache:Paths:0"] = "/items";
                settings["Intermediary:Upstreams:demo:Cache:Ttl"] = "00:00:10";
                settings["Intermediary:Upstreams:demo:Cache:StaleIfError"] = "00:05:00";
            }

            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(simulator.CreateTrustingHandler);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = callers * s_lists.Length })
        {
            BaseAddress = new Uri(address + "/"),
            Timeout = TimeSpan.FromMinutes(3),
        };
        client.DefaultRequestHeaders.Add("x-functions-key", Key);

        var answers = new List<Answer>();
        var gate = new Lock();
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
        {
            // Every caller opens the app at once, then its timer fires every few seconds (a refresh starts only after
            // the previous one has finished, as a canvas timer with its OnTimerEnd does).
            while (clock.Elapsed < duration)
            {
                var started = clock.Elapsed;
                var loaded = await Task.WhenAll(s_lists.Select(list => CallAsync(client, "api/call/demo" + list)));
                lock (gate)
                {
                    answers.AddRange(loaded);
                }

                var wait = every - (clock.Elapsed - started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }
            }
        }));

        return new Run(cached, answers, simulator.CountApiRequests("/items"), simulator.GatewayRequestCount - simulator.ApiRequestCount, clock.Elapsed);
    }

    private static async Task<Answer> CallAsync(HttpClient client, string path)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync(path);
        using var envelope = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        var root = envelope.RootElement;
        var cache = root.GetProperty("cache");
        return new Answer(
            root.GetProperty("code").GetString()!,
            Stopwatch.GetElapsedTime(started),
            cache.ValueKind == JsonValueKind.Object && cache.GetProperty("hit").GetBoolean(),
            cache.ValueKind == JsonValueKind.Object && cache.GetProperty("coalesced").GetBoolean(),
            cache.ValueKind == JsonValueKind.Object && cache.GetProperty("stale").GetBoolean());
    }

    private static string Report(List<Run> runs, int callers, int seconds, int every, int limit, int window)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"""
            # Canvas burst: {callers} callers, 3 lists every {every} s for {seconds} s, APIM limit {limit} calls per {window} s

            Written by `dotnet run -c Release --project bench/Intermediary.Bench -- burst` on {DateTime.UtcNow:yyyy-MM-dd} ({Environment.ProcessorCount} cores).

            | Cache | calls answered | reached the backend | refused by the gateway (429) | ok | RateLimited | other failures | hits | coalesced | stale | p50 ms | p99 ms | max ms |
            | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
            """);
        foreach (var run in runs)
        {
            text.AppendLine(run.Row());
        }

        return text.ToString();
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private sealed record Answer(string Code, TimeSpan Latency, bool Hit, bool Coalesced, bool Stale);

    private sealed record Run(bool Cached, List<Answer> Answers, int BackendRequests, int GatewayRefusals, TimeSpan Elapsed)
    {
        public string Row()
        {
            var latencies = Answers.Select(a => a.Latency.TotalMilliseconds).Order().ToArray();
            double Percentile(double p) => latencies.Length == 0 ? 0 : latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];
            var ok = Answers.Count(a => a.Code == "Ok");
            var limited = Answers.Count(a => a.Code == "RateLimited");
            return string.Create(CultureInfo.InvariantCulture,
                $"| {(Cached ? "on (TTL 10 s)" : "off")} | {Answers.Count} | {BackendRequests} | {GatewayRefusals} | {ok} | {limited} | {Answers.Count - ok - limited} | {Answers.Count(a => a.Hit && !a.Stale)} | {Answers.Count(a => a.Coalesced)} | {Answers.Count(a => a.Stale)} | {Percentile(0.5):0} | {Percentile(0.99):0} | {latencies.LastOrDefault():0} |");
        }
    }
}
