using System.Diagnostics;
using System.Globalization;
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

// Load benchmark: the Server host in front of the simulator over real loopback HTTP, with real MSAL.
// Usage: dotnet run -c Release --project bench/Intermediary.Bench -- [requests=20000] [concurrency=64]
//        dotnet run -c Release --project bench/Intermediary.Bench -- hosts [requests=5000] [concurrency=32] [rounds=4]
//        dotnet run -c Release --project bench/Intermediary.Bench -- proxies [--rounds 6] [--duration 10] [--connections 64]   (bench/run.sh)
//        dotnet run -c Release --project bench/Intermediary.Bench -- allocation-stacks FILE.nettrace   (summarise a trace bench/run.sh --allocation-stacks kept)
//        dotnet run -c Release --project bench/Intermediary.Bench -- burst [--callers 200] [--duration 60] [--every 3] [--limit 150] [--window 10]
if (args.FirstOrDefault() == "burst")
{
    return await Intermediary.Bench.CanvasBurst.RunAsync(args[1..]);
}

if (args.FirstOrDefault() == "proxies")
{
    return await Intermediary.Bench.ProxyComparison.RunAsync(args[1..]);
}

if (args.FirstOrDefault() == "allocation-stacks" && args.Length == 2)
{
    Console.Write(Intermediary.Bench.AllocationStacks.Summarize(args[1]));
    return 0;
}

if (args.FirstOrDefault() == "hosts")
{
    return await Intermediary.Bench.HostComparison.RunAsync(args[1..]);
}

var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
const string key = "bench-function-key";

await using var simulator = await ApimSimulator.StartAsync();
await using var app = await IntermediaryServer.CreateAsync(["--urls", "http://127.0.0.1:0"], builder =>
{
    builder.Logging.ClearProviders();
    var settings = SimulatorUpstream.Settings(simulator, "demo", "/items");
    settings["Intermediary:FunctionKeys:bench"] = key;
    // The simulator is one process on two cores: keep the breaker out of the measurement.
    settings["Intermediary:Upstreams:demo:Resilience:CircuitBreakerMinimumThroughput"] = "1000000";
    builder.Configuration.AddInMemoryCollection(settings);
    builder.Services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(simulator.CreateTrustingHandler);
});
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(address + "/") };
client.DefaultRequestHeaders.Add("x-functions-key", key);

async Task<long> CallAsync()
{
    var started = Stopwatch.GetTimestamp();
    using var response = await client.GetAsync("api/call/demo/items/1");
    await response.Content.ReadAsByteArrayAsync();
    return Stopwatch.GetTimestamp() - started;
}

// Warm-up: JIT, connection pools, the token cache.
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => CallAsync()));

var latencies = new long[requests];
var next = -1;
GC.Collect();
var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
var gen0Before = GC.CollectionCount(0);
var clock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < requests)
    {
        latencies[i] = await CallAsync();
    }
}));
clock.Stop();
var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

Array.Sort(latencies);
double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
    requests {requests}, concurrency {concurrency}, elapsed {clock.Elapsed.TotalSeconds:0.00} s
    throughput {requests / clock.Elapsed.TotalSeconds:0} req/s
    latency p50 {Ms(latencies[requests / 2]):0.00} ms, p95 {Ms(latencies[(int)(requests * 0.95)]):0.00} ms, p99 {Ms(latencies[(int)(requests * 0.99)]):0.00} ms, max {Ms(latencies[^1]):0.00} ms
    token requests {simulator.TokenRequestCount}, upstream requests {simulator.ApiRequestCount}
    allocated {allocated / (double)requests / 1024:0.0} KiB per request (whole process: server, client and simulator), gen0 GCs {GC.CollectionCount(0) - gen0Before}
    working set {Environment.WorkingSet / (1024 * 1024)} MiB
    """));
return 0;
