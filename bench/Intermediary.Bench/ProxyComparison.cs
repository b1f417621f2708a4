using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Intermediary.Bench;

/// <summary>
/// The load harness: each target in its own process, driven by wrk over loopback, rounds interleaved (A, B, C, A, ...).
/// A = the simulator's gateway called directly (token and key sent by the client), B = YARP adding the same two
/// headers, C = the Server host with its defaults, D = the Functions app under a Functions host (when
/// FUNCTIONS_HOST_PATH and FUNCTIONS_APP_PATH are set). The upstream is the standalone simulator, answering a 1 KiB
/// JSON list. Per target and round: req/s, p50/p99, CPU per request from /proc, and from a startup hook in the proxy
/// processes: allocations, GC counts, GC pause and working set.
/// </summary>
internal static class ProxyComparison
{
    private const string FunctionKey = "bench-function-key-0123456789";
    private const string MasterKey = "bench-master-key-0123456789";
    private const int TargetBodyBytes = 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        var work = Directory.CreateTempSubdirectory("intermediary-bench-").FullName;
        var stats = Directory.CreateDirectory(Path.Combine(work, "stats")).FullName;
        var processes = new List<Process>();
        try
        {
            var settingsPath = Path.Combine(work, "simulator.settings.json");
            var simulator = BenchProcesses.Start("dotnet",
                [BenchProcesses.ReleaseDll("src", "Intermediary.Simulator"), "--http-port", "0", "--https-port", "0", "--write-settings", settingsPath],
                new Dictionary<string, string?>());
            processes.Add(simulator);
            var values = await SimulatorSettingsAsync(settingsPath, simulator);
            var upstream = values["Intermediary__Upstreams__demo__BaseUrl"]!;
            var subscriptionKey = values["Intermediary__Upstreams__demo__SubscriptionKey"]!;
            var token = await TokenAsync(values);
            var bodyBytes = await SeedItemsAsync(upstream, token, subscriptionKey);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upstream {upstream}: GET items answers {bodyBytes} bytes of JSON"));

            var hook = new Dictionary<string, string?>
            {
                ["DOTNET_STARTUP_HOOKS"] = BenchProcesses.ReleaseDll("bench", "Intermediary.Bench.Stats"),
                ["INTERMEDIARY_BENCH_STATS"] = stats,
            };
            if (options.CpuStacks)
            {
                if (!CpuStacks.Available())
                {
                    throw new InvalidOperationException("--cpu-stacks needs perf: install the Debian package linux-perf.");
                }

                // The runtime names its compiled methods for perf (the cost is at compile time only), and maps its code
                // once rather than through the write-xor-execute double mapping, which perf cannot attribute.
                hook["DOTNET_PerfMapEnabled"] = "1";
                hook["DOTNET_EnableWriteXorExecute"] = "0";
            }
            var targets = new List<Target>
            {
                new("A", "direct to the simulator", null, new Uri(new Uri(upstream), "items"),
                    new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}", ["Ocp-Apim-Subscription-Key"] = subscriptionKey }),
            };

            var yarpPort = BenchProcesses.FreePort();
            var yarp = BenchProcesses.Start("dotnet", [BenchProcesses.ReleaseDll("bench", "Intermediary.Bench.Yarp"), "--urls", $"http://127.0.0.1:{yarpPort}"],
                new Dictionary<string, string?>(hook) { ["BENCH_UPSTREAM"] = upstream, ["BENCH_TOKEN"] = token, ["BENCH_SUBSCRIPTION_KEY"] = subscriptionKey });
            processes.Add(yarp);
            targets.Add(new("B", "YARP 2.3 adding token + key", yarp, new Uri($"http://127.0.0.1:{yarpPort}/api/call/demo/items"), new Dictionary<string, string>()));

            // Production, as deployed: the simulator's certificate is trusted through OpenSSL's SSL_CERT_FILE (this process
            // tree only) rather than the Development-only setting, which would also bring the developer exception page.
            var trust = Path.Combine(work, "simulator.pem");
            await File.WriteAllTextAsync(trust, values["Intermediary__DevelopmentTrustedCertificate"]);
            var serviceSettings = new Dictionary<string, string?>(hook)
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["SSL_CERT_FILE"] = trust,
                ["Intermediary__Jobs__Store"] = "Memory",
                ["Intermediary__FunctionKeys__bench"] = FunctionKey,
            };
            // The simulator's settings are the tour's, which keep the item list in the response cache: every call after the
            // first would be answered from memory without going upstream, which is not the proxying being compared.
            foreach (var (key, value) in values.Where(v => v.Key.StartsWith("Intermediary__", StringComparison.Ordinal)
                && !v.Key.StartsWith("Intermediary__Jobs__", StringComparison.Ordinal) && v.Key != "Intermediary__DevelopmentTrustedCertificate"
                && !v.Key.Contains("__Cache__", StringComparison.Ordinal)))
            {
                serviceSettings[key] = value;
            }

            var callerHeaders = new Dictionary<string, string> { ["x-functions-key"] = FunctionKey, ["X-Error-Mode"] = "status" };
            var serverPort = BenchProcesses.FreePort();
            var server = BenchProcesses.Start("dotnet", [BenchProcesses.ReleaseDll("src", "Intermediary.Server"), "--urls", $"http://127.0.0.1:{serverPort}"], serviceSettings);
            processes.Add(server);
            targets.Add(new("C", "Intermediary Server host", server, new Uri($"http://127.0.0.1:{serverPort}/api/call/demo/items"), callerHeaders));

            if (options.FunctionsHost is { } hostPath && options.FunctionsApp is { } appPath)
            {
                var functionsPort = BenchProcesses.FreePort();
                var secrets = Directory.CreateDirectory(Path.Combine(work, "functions-secrets")).FullName;
                var functions = BenchProcesses.Start(hostPath,
                    ["--script-root", appPath, "--port", $"{functionsPort}", "--secrets", secrets, "--key", FunctionKey, "--master-key", MasterKey],
                    new Dictionary<string, string?>(serviceSettings) { ["AzureFunctionsJobHost__logging__logLevel__Host.Results"] = "Warning" });
                processes.Add(functions);
                targets.Add(new("D", "Functions host + worker", functions, new Uri($"http://127.0.0.1:{functionsPort}/api/call/demo/items"), callerHeaders));
            }

            await CheckSameDataAsync(targets);
            var report = new Report(options, bodyBytes, targets);

            Console.WriteLine($"warm-up: {options.WarmUp.TotalSeconds:0} s per target");
            foreach (var target in targets)
            {
                await WrkResult.RunAsync(target.Url.AbsoluteUri, options.Connections, options.WarmUp, target.Headers);
            }

            foreach (var target in targets.Where(t => t.Process is not null))
            {
                target.StartStats = ProcessStats.Read(target.Process!, stats);
            }

            for (var round = 1; round <= options.Rounds; round++)
            {
                foreach (var target in targets)
                {
                    var result = await MeasureAsync(target, stats, options.Connections, options.Duration, null);
                    target.Saturated.Add(result);
                    Console.WriteLine($"round {round} {target.Id} {result}");
                }
            }

            foreach (var target in targets.Where(t => t.Process is not null))
            {
                target.EndStats = ProcessStats.Read(target.Process!, stats);
            }

            if (options.AllocationStacks)
            {
                await WriteAllocationStacksAsync(targets, options);
            }

            if (options.CpuStacks)
            {
                await WriteCpuStacksAsync(targets, options);
            }

            var thinkScript = Path.Combine(work, "think.lua");
            await File.WriteAllTextAsync(thinkScript, "function delay()\n  return 10\nend\n");
            for (var round = 1; round <= Math.Max(1, options.Rounds / 2); round++)
            {
                foreach (var target in targets)
                {
                    var result = await MeasureAsync(target, stats, options.PaceConnections, options.Duration, thinkScript);
                    target.Paced.Add(result);
                    Console.WriteLine($"paced {round} {target.Id} {result}");
                }
            }

            var jobScript = Path.Combine(work, "job.lua");
            // Paced like the 16-connection rounds: every start is a job that then runs, and the store keeps each for its lifetime.
            await File.WriteAllTextAsync(jobScript, "wrk.method = \"POST\"\nwrk.headers[\"X-Job-Method\"] = \"GET\"\nfunction delay()\n  return 10\nend\n");
            foreach (var target in targets.Where(t => t.Id is "C"))
            {
                var jobs = new Uri(target.Url.AbsoluteUri.Replace("/api/call/", "/api/jobs/", StringComparison.Ordinal));
                report.JobStart = await WrkResult.RunAsync(jobs.AbsoluteUri, options.PaceConnections, options.Duration, target.Headers, jobScript);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"job start (in-memory store): {report.JobStart.RequestsPerSecond:0}/s p50 {report.JobStart.P50Ms:0.00} ms p99 {report.JobStart.P99Ms:0.00} ms non-2xx {report.JobStart.Non2xx}"));
            }

            var markdown = report.ToMarkdown();
            Console.WriteLine();
            Console.WriteLine(markdown);
            Directory.CreateDirectory(options.Output);
            await File.WriteAllTextAsync(Path.Combine(options.Output, "latest.md"), markdown);
            ResultsChart.Write(report, Path.Combine(options.Output, "latest.png"));
            CopyAllocationProfiles(targets, stats, options.Output);
            Console.WriteLine($"wrote {Path.Combine(options.Output, "latest.md")} and latest.png");
            return report.AllSucceeded ? 0 : 1;
        }
        finally
        {
            foreach (var process in processes)
            {
                await BenchProcesses.StopAsync(process);
            }

            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// With --allocation-stacks, one more saturated run per proxy (after the measured rounds, so they are not
    /// disturbed) with its allocation samples and their call stacks collected: allocation-stacks-{target}.txt, and the
    /// trace beside it (allocation-stacks-{target}.nettrace) for PerfView or `Intermediary.Bench allocation-stacks FILE`.
    /// </summary>
    private static async Task WriteAllocationStacksAsync(List<Target> targets, Options options)
    {
        Directory.CreateDirectory(options.Output);
        foreach (var target in targets.Where(t => t.Process is not null))
        {
            var trace = Path.Combine(options.Output, $"allocation-stacks-{target.Id}.nettrace");
            await AllocationStacks.CollectAsync(target.Process!.Id, trace,
                () => WrkResult.RunAsync(target.Url.AbsoluteUri, options.Connections, options.Duration, target.Headers));
            var path = Path.Combine(options.Output, $"allocation-stacks-{target.Id}.txt");
            await File.WriteAllTextAsync(path, AllocationStacks.Summarize(trace));
            Console.WriteLine($"wrote {path}");
        }
    }

    /// <summary>
    /// With --cpu-stacks, one more saturated run per proxy with perf sampling its threads: the CPU by component in
    /// cpu-stacks-{target}.txt, in µs per request from the median of the measured rounds.
    /// </summary>
    private static async Task WriteCpuStacksAsync(List<Target> targets, Options options)
    {
        Directory.CreateDirectory(options.Output);
        foreach (var target in targets.Where(t => t.Process is not null))
        {
            var data = Path.Combine(options.Output, $"cpu-stacks-{target.Id}.perf.data");
            await CpuStacks.CollectAsync(target.Process!.Id, data, options.Duration,
                () => WrkResult.RunAsync(target.Url.AbsoluteUri, options.Connections, options.Duration, target.Headers));
            var cpu = BenchProcesses.Median(target.Saturated, r => r.CpuMicrosecondsPerRequest ?? double.NaN);
            var path = Path.Combine(options.Output, $"cpu-stacks-{target.Id}.txt");
            await File.WriteAllTextAsync(path, await CpuStacks.SummarizeAsync(data, cpu));
            Console.WriteLine($"wrote {path}");
        }
    }

    /// <summary>With INTERMEDIARY_BENCH_ALLOCATIONS=1, each measured process's types allocated most, kept as allocations-{target}.txt.</summary>
    private static void CopyAllocationProfiles(List<Target> targets, string statsFolder, string output)
    {
        foreach (var target in targets)
        {
            var profile = target.Process is { } process ? Path.Combine(statsFolder, $"{process.Id}.allocations") : null;
            if (profile is not null && File.Exists(profile))
            {
                File.Copy(profile, Path.Combine(output, $"allocations-{target.Id}.txt"), overwrite: true);
                Console.WriteLine($"wrote {Path.Combine(output, $"allocations-{target.Id}.txt")}");
            }
        }
    }

    private static async Task<Round> MeasureAsync(Target target, string statsFolder, int connections, TimeSpan duration, string? script)
    {
        var before = target.Process is { } p ? ProcessStats.Read(p, statsFolder) : null;
        var cpuBefore = target.Process is { } q ? BenchProcesses.CpuTicks(q.Id) : 0;
        var wrk = await WrkResult.RunAsync(target.Url.AbsoluteUri, connections, duration, target.Headers, script);
        if (target.Process is not { } process)
        {
            return new Round(wrk, null, null);
        }

        var cpu = BenchProcesses.CpuTicks(process.Id) - cpuBefore;
        var after = ProcessStats.Read(process, statsFolder);
        // /proc counts CPU in ticks of 1/100 s.
        return new Round(wrk, cpu * 10_000.0 / wrk.Requests, after - before!);
    }

    /// <summary>The three (or four) paths must answer the same data, without a response cache, or the comparison means nothing.</summary>
    private static async Task CheckSameDataAsync(List<Target> targets)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        string? expected = null;
        foreach (var target in targets)
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, target.Url);
                    foreach (var (name, value) in target.Headers)
                    {
                        request.Headers.TryAddWithoutValidation(name, value);
                    }

                    using var response = await client.SendAsync(request);
                    if (response.IsSuccessStatusCode)
                    {
                        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                        var data = json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("data", out var d) ? d : json.RootElement;
                        var text = data.GetRawText();
                        if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("cache", out var cache)
                            && cache.ValueKind != JsonValueKind.Null)
                        {
                            throw new InvalidOperationException($"{target.Id} answers through its response cache; the comparison is of calls that reach the upstream.");
                        }

                        expected ??= text;
                        if (text != expected)
                        {
                            throw new InvalidOperationException($"{target.Id} answered other data than A:\n{text}\n{expected}");
                        }

                        break;
                    }
                }
                catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(90))
                {
                }

                if (target.Process is { HasExited: true } exited)
                {
                    throw new InvalidOperationException($"{target.Id} exited with code {exited.ExitCode}.");
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(90))
                {
                    throw new TimeoutException($"{target.Id} did not answer 200 within 90 s.");
                }

                await Task.Delay(200);
            }
        }
    }

    private static async Task<Dictionary<string, string?>> SimulatorSettingsAsync(string path, Process simulator)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (simulator.HasExited)
            {
                throw new InvalidOperationException($"The simulator exited with code {simulator.ExitCode}.");
            }

            try
            {
                using var json = JsonDocument.Parse(await File.ReadAllTextAsync(path));
                return json.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
            }
            catch (Exception ex) when (ex is FileNotFoundException or JsonException or IOException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException("The simulator wrote no settings within 60 s.");
    }

    /// <summary>A token from the simulator's Entra endpoint, trusting only the certificate the simulator reported.</summary>
    private static async Task<string> TokenAsync(Dictionary<string, string?> values)
    {
        using var certificate = X509Certificate2.CreateFromPem(values["Intermediary__DevelopmentTrustedCertificate"]);
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint };
        using var client = new HttpClient(handler);
        var endpoint = new Uri(new Uri(values["Intermediary__Upstreams__demo__AuthorityHost"]!), $"{values["Intermediary__Upstreams__demo__TenantId"]}/oauth2/v2.0/token");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = values["Intermediary__Upstreams__demo__ClientId"]!,
            ["client_secret"] = values["Intermediary__Upstreams__demo__ClientSecret"]!,
            ["scope"] = values["Intermediary__Upstreams__demo__Scope"]!,
        });
        using var response = await client.PostAsync(endpoint, form);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("access_token").GetString()!;
    }

    /// <summary>Adds items until the list is about 1 KiB of JSON: the "1 KiB JSON success" every target answers.</summary>
    private static async Task<int> SeedItemsAsync(string upstream, string token, string subscriptionKey)
    {
        using var client = new HttpClient { BaseAddress = new Uri(upstream) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        client.DefaultRequestHeaders.Add("Ocp-Apim-Subscription-Key", subscriptionKey);
        for (var i = 1; ; i++)
        {
            var size = (await client.GetByteArrayAsync("items")).Length;
            if (size >= TargetBodyBytes)
            {
                return size;
            }

            using var created = await client.PostAsJsonAsync("items", new { name = $"Bench item {i:000}", price = 1.5m + i });
            created.EnsureSuccessStatusCode();
        }
    }

    internal sealed record Options(
        int Rounds, TimeSpan Duration, TimeSpan WarmUp, int Connections, int PaceConnections, string Output, string? FunctionsHost, string? FunctionsApp,
        bool AllocationStacks, bool CpuStacks)
    {
        public static Options Parse(string[] args)
        {
            string? Value(string name) => Array.IndexOf(args, name) is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
            int Int(string name, int fallback) => Value(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            return new Options(
                Int("--rounds", 6),
                TimeSpan.FromSeconds(Int("--duration", 10)),
                TimeSpan.FromSeconds(Int("--warm-up", 30)),
                Int("--connections", 64),
                Int("--paced-connections", 16),
                Value("--output") ?? Path.Combine(BenchProcesses.RepositoryRoot, "bench", "results"),
                Environment.GetEnvironmentVariable("FUNCTIONS_HOST_PATH") is { Length: > 0 } host ? host : null,
                Environment.GetEnvironmentVariable("FUNCTIONS_APP_PATH") is { Length: > 0 } app ? app : null,
                args.Contains("--allocation-stacks"),
                args.Contains("--cpu-stacks"));
        }
    }
}

/// <summary>One measured path: its process (none for the direct call), URL and the headers its callers send.</summary>
internal sealed class Target(string id, string name, Process? process, Uri url, IReadOnlyDictionary<string, string> headers)
{
    public string Id { get; } = id;
    public string Name { get; } = name;
    public Process? Process { get; } = process;
    public Uri Url { get; } = url;
    public IReadOnlyDictionary<string, string> Headers { get; } = headers;
    public List<Round> Saturated { get; } = [];
    public List<Round> Paced { get; } = [];
    public ProcessStats? StartStats { get; set; }
    public ProcessStats? EndStats { get; set; }
}

/// <summary>One wrk run against one target, with the target process's CPU and runtime counters over the same time.</summary>
internal sealed record Round(WrkResult Wrk, double? CpuMicrosecondsPerRequest, ProcessStats? Stats)
{
    public double? AllocatedKiBPerRequest => Stats is null ? null : Stats.AllocatedBytes / 1024.0 / Wrk.Requests;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Wrk.RequestsPerSecond,8:0} req/s  p50 {Wrk.P50Ms,6:0.00} ms  p99 {Wrk.P99Ms,6:0.00} ms  CPU {CpuMicrosecondsPerRequest,5:0} µs/req  alloc {AllocatedKiBPerRequest,5:0.0} KiB/req  gen0/1/2 {Stats?.Gen0}/{Stats?.Gen1}/{Stats?.Gen2}  non-2xx {Wrk.Non2xx}  socket errors {Wrk.SocketErrors}");
}

/// <summary>Runtime counters of a process and its .NET descendants, as written by the bench startup hook.</summary>
internal sealed record ProcessStats(long AllocatedBytes, long Gen0, long Gen1, long Gen2, double GcPauseMs, long WorkingSetBytes)
{
    public static ProcessStats Read(Process process, string folder)
    {
        // The hook rewrites its file every 100 ms: wait for one fresh write after the load ends.
        Thread.Sleep(250);
        var total = new ProcessStats(0, 0, 0, 0, 0, 0);
        foreach (var pid in Tree(process.Id))
        {
            var path = Path.Combine(folder, $"{pid}.stats");
            if (!File.Exists(path))
            {
                continue;
            }

            var f = File.ReadAllText(path).Split(' ');
            total += new ProcessStats(
                long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture), long.Parse(f[2], CultureInfo.InvariantCulture),
                long.Parse(f[3], CultureInfo.InvariantCulture), double.Parse(f[4], CultureInfo.InvariantCulture), long.Parse(f[5], CultureInfo.InvariantCulture));
        }

        return total;
    }

    public static ProcessStats operator +(ProcessStats a, ProcessStats b) => new(
        a.AllocatedBytes + b.AllocatedBytes, a.Gen0 + b.Gen0, a.Gen1 + b.Gen1, a.Gen2 + b.Gen2, a.GcPauseMs + b.GcPauseMs, a.WorkingSetBytes + b.WorkingSetBytes);

    /// <summary>The difference over a round; the working set is the one at its end.</summary>
    public static ProcessStats operator -(ProcessStats a, ProcessStats b) => new(
        a.AllocatedBytes - b.AllocatedBytes, a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.GcPauseMs - b.GcPauseMs, a.WorkingSetBytes);

    private static IEnumerable<int> Tree(int pid)
    {
        yield return pid;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var descendant in Tree(int.Parse(child, CultureInfo.InvariantCulture)))
                {
                    yield return descendant;
                }
            }
        }
    }
}
