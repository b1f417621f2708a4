using System.Diagnostics;
using System.Globalization;
using System.Net;
using Intermediary.Simulator;

namespace Intermediary.Bench;

/// <summary>
/// The Server host and the Functions app under a Functions host, each as its own process in front of the same
/// in-process simulator, measured in the same run: rounds interleaved (Server, Functions, Server, ...), each N
/// requests to <c>GET /api/call/demo/items/1</c> from C callers; throughput, latency, CPU per request of the host
/// process(es) from /proc, and the time from process start to the first envelope.
/// Needs FUNCTIONS_HOST_PATH (a functions-host <c>run</c> script) and FUNCTIONS_APP_PATH (a published app), and the
/// Server host built in Release.
/// </summary>
internal static class HostComparison
{
    private const string Key = "bench-function-key-0123456789";
    private const string MasterKey = "bench-master-key-0123456789";

    public static async Task<int> RunAsync(string[] args)
    {
        var requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5_000;
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 4;
        var hostPath = Environment.GetEnvironmentVariable("FUNCTIONS_HOST_PATH");
        var appPath = Environment.GetEnvironmentVariable("FUNCTIONS_APP_PATH");
        if (hostPath is null || appPath is null)
        {
            await Console.Error.WriteLineAsync("Set FUNCTIONS_HOST_PATH (a functions-host run script) and FUNCTIONS_APP_PATH (dotnet publish of src/Intermediary.Functions).");
            return 2;
        }

        await using var simulator = await ApimSimulator.StartAsync();
        var settings = SimulatorUpstream.Settings(simulator, "demo", "/items");
        settings["Intermediary:DevelopmentTrustedCertificate"] = simulator.ServerCertificate.ExportCertificatePem();
        settings["Intermediary:Jobs:Store"] = "Memory";
        settings["Intermediary:Upstreams:demo:Resilience:CircuitBreakerMinimumThroughput"] = "1000000";
        settings["Logging:LogLevel:Default"] = "Warning";

        var serverDll = BenchProcesses.ReleaseDll("src", "Intermediary.Server");
        var serverPort = BenchProcesses.FreePort();
        var server = new Host("Server", () => BenchProcesses.Start("dotnet", [Path.GetFullPath(serverDll), "--urls", $"http://127.0.0.1:{serverPort}"],
            new Dictionary<string, string?>(settings) { ["Intermediary:FunctionKeys:bench"] = Key, ["ASPNETCORE_ENVIRONMENT"] = "Development" }), serverPort);
        var secrets = Directory.CreateTempSubdirectory("bench-functions-secrets-").FullName;
        var functionsPort = BenchProcesses.FreePort();
        var functions = new Host("Functions", () => BenchProcesses.Start(hostPath, ["--script-root", appPath, "--port", $"{functionsPort}", "--secrets", secrets, "--key", Key, "--master-key", MasterKey],
            new Dictionary<string, string?>(settings)
            {
                // Both hosts log warnings only, so the comparison is of hosting, not of console logging.
                ["AzureFunctionsJobHost:logging:logLevel:default"] = "Warning",
                ["AzureFunctionsJobHost:logging:logLevel:Function"] = "Warning",
                ["AzureFunctionsJobHost:logging:logLevel:Host.Results"] = "Warning",
            }), functionsPort);
        try
        {
            // One at a time, so neither start-up competes with the other for the two cores.
            foreach (var host in new[] { server, functions })
            {
                host.Start();
                host.StartUp = await FirstEnvelopeAsync(host);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{host.Name}: first envelope {host.StartUp.TotalSeconds:0.0} s after process start"));
            }

            // Warm-up (not reported): JIT, connection pools, the token cache; the host runs without tiered compilation.
            foreach (var host in new[] { server, functions })
            {
                await MeasureAsync(host, requests, concurrency);
            }

            for (var round = 0; round < rounds; round++)
            {
                foreach (var host in new[] { server, functions })
                {
                    var result = await MeasureAsync(host, requests, concurrency);
                    host.Rounds.Add(result);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {round + 1} {host.Name,-9} {result.Throughput,7:0} req/s  p50 {result.P50,6:0.00} ms  p99 {result.P99,6:0.00} ms  CPU {result.CpuMicrosecondsPerRequest,5:0} µs/req  errors {result.Errors}"));
                }
            }

            Console.WriteLine();
            foreach (var host in new[] { server, functions })
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"median {host.Name,-9} {BenchProcesses.Median(host.Rounds, r => r.Throughput),7:0} req/s  p50 {BenchProcesses.Median(host.Rounds, r => r.P50):0.00} ms  p99 {BenchProcesses.Median(host.Rounds, r => r.P99):0.00} ms  CPU {BenchProcesses.Median(host.Rounds, r => r.CpuMicrosecondsPerRequest):0} µs/req  start-up {host.StartUp.TotalSeconds:0.0} s"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Functions/Server throughput {BenchProcesses.Median(functions.Rounds, r => r.Throughput) / BenchProcesses.Median(server.Rounds, r => r.Throughput):0.00}, CPU per request {BenchProcesses.Median(functions.Rounds, r => r.CpuMicrosecondsPerRequest) / BenchProcesses.Median(server.Rounds, r => r.CpuMicrosecondsPerRequest):0.00}"));
            return 0;
        }
        finally
        {
            foreach (var host in new[] { server, functions }.Where(h => h.Started))
            {
                await BenchProcesses.StopAsync(host.Process);
            }

            Directory.Delete(secrets, recursive: true);
        }
    }

    private static async Task<TimeSpan> FirstEnvelopeAsync(Host host)
    {
        using var client = Client(host, 1);
        while (true)
        {
            if (host.Process.HasExited)
            {
                throw new InvalidOperationException($"{host.Name} exited with code {host.Process.ExitCode}.");
            }

            try
            {
                using var response = await client.GetAsync("api/call/demo/items/1");
                if (response.Content.Headers.ContentType?.MediaType == "application/json")
                {
                    return DateTime.Now - host.Process.StartTime;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }
    }

    private static async Task<Round> MeasureAsync(Host host, int requests, int concurrency)
    {
        using var client = Client(host, concurrency);
        var latencies = new long[requests];
        var next = -1;
        var errors = 0;
        var cpuBefore = BenchProcesses.CpuTicks(host.Process.Id);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync("api/call/demo/items/1");
                await response.Content.ReadAsByteArrayAsync();
                latencies[i] = Stopwatch.GetTimestamp() - started;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        clock.Stop();
        var cpu = BenchProcesses.CpuTicks(host.Process.Id) - cpuBefore;
        Array.Sort(latencies);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        // /proc reports CPU time in clock ticks of 1/100 s (USER_HZ).
        return new Round(requests / clock.Elapsed.TotalSeconds, Ms(latencies[requests / 2]), Ms(latencies[(int)(requests * 0.99)]), cpu * 10_000.0 / requests, errors);
    }

    private static HttpClient Client(Host host, int connections)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{host.Port}/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.Add("x-functions-key", Key);
        return client;
    }

    private sealed record Round(double Throughput, double P50, double P99, double CpuMicrosecondsPerRequest, int Errors);

    private sealed class Host(string name, Func<Process> start, int port)
    {
        private Process? _process;

        public string Name { get; } = name;
        public Process Process => _process ?? throw new InvalidOperationException($"{Name} has not been started.");
        public bool Started => _process is not null;
        public int Port { get; } = port;
        public TimeSpan StartUp { get; set; }
        public List<Round> Rounds { get; } = [];

        public void Start() => _process = start();
    }
}
