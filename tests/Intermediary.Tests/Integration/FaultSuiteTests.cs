using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Intermediary.Tests.Integration;

/// <summary>
/// Faults with real processes and real time (these are outages of real components, whose clocks cannot be faked):
/// the Server host killed mid-burst and restarted, Azurite restarted mid-job, the token endpoint down, hundreds of
/// slow clients. Assertions are outcomes and counts — jobs lost, upstream calls per job — never durations.
/// </summary>
public sealed class FaultSuiteTests(ITestOutputHelper output)
{
    private static StringContent NoBody() => new("", Encoding.UTF8);

    [Fact]
    public async Task Killing_the_server_mid_burst_and_mid_run_of_fifty_idempotent_jobs_loses_none_and_runs_each_again_at_most_once_per_kill()
    {
        const int jobs = 50;
        var azurite = await AzuriteProcess.StartAsync(persistIn: null);
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions { RequireBearerToken = false });
        var storage = azurite.FreshStorage();
        using var server = await ServerProcess.StartAsync(new()
        {
            ["Intermediary:Upstreams:demo:BaseUrl"] = simulator.ApiBaseAddress.AbsoluteUri,
            ["Intermediary:Upstreams:demo:Credential"] = "None",
            ["Intermediary:Upstreams:demo:SubscriptionKey"] = simulator.Options.SubscriptionKey,
            ["Intermediary:Upstreams:demo:AllowedPaths:0"] = "/jobs",
            ["Intermediary:Jobs:Store"] = "AzureStorage",
            ["Intermediary:Jobs:Storage:ConnectionString"] = storage.ConnectionString,
            ["Intermediary:Jobs:Storage:TableName"] = storage.TableName,
            ["Intermediary:Jobs:Storage:QueueName"] = storage.QueueName,
            ["Intermediary:Jobs:Storage:ContainerName"] = storage.ContainerName,
            ["Intermediary:Jobs:Storage:VisibilityTimeout"] = "00:00:10",
            ["Intermediary:Jobs:LeaseDuration"] = "00:00:05",
            ["Intermediary:Jobs:PollInterval"] = "00:00:01",
            ["Intermediary:Jobs:MaxConcurrency"] = "16",
        });
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        try
        {
            // The burst: fifty starts at once, each with its own Idempotency-Key; the server dies when some have answered.
            var firstIds = new ConcurrentDictionary<int, string>();
            var burst = Enumerable.Range(0, jobs).Select(async i =>
            {
                try
                {
                    var started = await StartAsync(client, server, i);
                    firstIds[i] = started;
                }
                catch (HttpRequestException)
                {
                    // Cut off by the kill: the client will retry with the same key, as a flow's retry policy does.
                }
            }).ToList();
            await Eventually.True(() => firstIds.Count >= 15 || burst.All(t => t.IsCompleted), "some starts were answered");
            server.Kill();
            await Task.WhenAll(burst);

            // Restarted, the clients retry every start with its key; then the server dies again while jobs call the upstream.
            await server.StartAgainAsync();
            var ids = new Dictionary<int, string>();
            foreach (var i in Enumerable.Range(0, jobs))
            {
                ids[i] = await StartAsync(client, server, i);
            }

            await Eventually.True(() => simulator.InFlightApiRequests >= 3, "jobs are calling the upstream");
            var runningAtKill = simulator.InFlightApiRequests;
            server.Kill();
            await server.StartAgainAsync();

            var outcomes = new Dictionary<int, string>();
            foreach (var (i, id) in ids)
            {
                outcomes[i] = await WaitForJobAsync(client, server, id);
            }

            var calls = Enumerable.Range(0, jobs).ToDictionary(i => i, i => simulator.Requests.Count(r => r.PathAndQuery.Contains($"?n={i}&", StringComparison.Ordinal)));
            output.WriteLine($"{firstIds.Count} of {jobs} starts answered before the first kill; {runningAtKill} job calls in flight at the second; "
                + $"upstream calls per job: {string.Join(", ", calls.GroupBy(c => c.Value).OrderBy(g => g.Key).Select(g => $"{g.Count()} × {g.Key}"))}.");
            Assert.All(firstIds, pair => Assert.Equal(pair.Value, ids[pair.Key]));
            Assert.Equal(jobs, ids.Values.Distinct().Count());
            Assert.All(outcomes, pair => Assert.Equal("succeeded", pair.Value));
            // At least once: a job whose worker died mid-call runs again (once per kill during its run, here at most 2).
            Assert.All(calls, pair => Assert.InRange(pair.Value, 1, 3));
            Assert.True(calls.Any(c => c.Value >= 2), "the jobs cut off by the second kill ran again");
        }
        catch (Exception) when (Diagnose(server.Output))
        {
            throw;
        }
        finally
        {
            azurite.Stop();
        }
    }

    [Fact]
    public async Task Azurite_restarted_mid_job_lets_every_job_finish_with_its_result()
    {
        var folder = Directory.CreateTempSubdirectory("azurite-fault-").FullName;
        var azurite = await AzuriteProcess.StartAsync(persistIn: folder);
        // The service reaches storage through relays, so the outage cuts its connections at once (as a storage
        // restart does) and Azurite, left without clients, stops cleanly with its data written.
        await using var blob = TcpProxy.Start(azurite.Ports.Blob);
        await using var queue = TcpProxy.Start(azurite.Ports.Queue);
        await using var table = TcpProxy.Start(azurite.Ports.Table);
        TcpProxy[] relays = [blob, queue, table];
        await using var simulator = await ApimSimulator.StartAsync();
        var storage = azurite.FreshStorage();
        var settings = IntermediaryHost.UpstreamSettings(simulator);
        settings["Intermediary:Upstreams:demo:AllowedPaths:3"] = "/jobs";
        settings["Intermediary:Jobs:Store"] = "AzureStorage";
        settings["Intermediary:Jobs:Storage:ConnectionString"] = AzuriteProcess.ConnectionStringFor(blob.Port, queue.Port, table.Port);
        settings["Intermediary:Jobs:Storage:TableName"] = storage.TableName;
        settings["Intermediary:Jobs:Storage:QueueName"] = storage.QueueName;
        settings["Intermediary:Jobs:Storage:ContainerName"] = storage.ContainerName;
        settings["Intermediary:Jobs:Storage:VisibilityTimeout"] = "00:00:10";
        settings["Intermediary:Jobs:LeaseDuration"] = "00:00:05";
        settings["Intermediary:Jobs:MaxConcurrency"] = "8";
        try
        {
            await using var host = await IntermediaryHost.StartAsync(simulator, settings);
            var started = new List<string>();
            for (var i = 0; i < 8; i++)
            {
                var job = await host.SendAsync(HttpMethod.Post, $"api/jobs/demo/jobs/slow?n={i}&seconds=3", r => r.Headers.Add("X-Job-Method", "GET"));
                started.Add(job.StatusUrl);
            }

            await Eventually.True(() => simulator.InFlightApiRequests >= 4, "jobs are calling the upstream");
            var phases = System.Diagnostics.Stopwatch.StartNew();
            Array.ForEach(relays, r => r.GoDown());
            await azurite.StopGracefullyAsync();
            output.WriteLine($"storage down after {phases.Elapsed.TotalSeconds:0.0} s");
            // Storage stays down past the moment the running calls answer, so their outcomes must wait for it.
            await Eventually.True(() => simulator.InFlightApiRequests == 0, "the running calls answered while storage was down");
            await azurite.StartAgainAsync();
            Array.ForEach(relays, r => r.ComeBack());
            output.WriteLine($"storage back after {phases.Elapsed.TotalSeconds:0.0} s");

            var done = new List<IntermediaryHost.Response>();
            foreach (var url in started)
            {
                done.Add(await host.WaitForJobAsync(url));
            }

            var calls = Enumerable.Range(0, 8).Select(i => simulator.Requests.Count(r => r.PathAndQuery.Contains($"?n={i}&", StringComparison.Ordinal))).ToList();
            output.WriteLine($"all done after {phases.Elapsed.TotalSeconds:0.0} s; upstream calls per job: {string.Join(", ", calls)}");
            Assert.All(done, d => Assert.Equal("succeeded", d.JobStatus));
            Assert.All(done, d => Assert.Equal(3, d.Data.GetProperty("waitedSeconds").GetInt32()));
            Assert.All(calls, c => Assert.InRange(c, 1, 2));
        }
        finally
        {
            azurite.Stop();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task With_the_token_endpoint_down_calls_go_on_with_the_cached_token_until_it_expires()
    {
        // MSAL treats a token as expired 5 minutes before its end: this one is usable for about 10 s of real time.
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TokenLifetime = TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(10) });
        await using var host = await IntermediaryHost.StartAsync(simulator);
        var first = await host.GetAsync("api/call/demo/items");

        simulator.SetTokenFault(new TokenFault(503, "temporarily_unavailable", "AADSTS50196: The server is busy.", 50196));
        var whileDown = new List<IntermediaryHost.Response>();
        for (var i = 0; i < 5; i++)
        {
            whileDown.Add(await host.GetAsync("api/call/demo/items"));
        }

        var afterExpiry = await host.GetAsync("api/call/demo/items");
        for (var i = 0; i < 120 && afterExpiry.Ok; i++)
        {
            await Task.Delay(250);
            afterExpiry = await host.GetAsync("api/call/demo/items");
        }

        simulator.SetTokenFault(null);
        var recovered = await host.GetAsync("api/call/demo/items");

        Assert.True(first.Ok, first.ToString());
        Assert.All(whileDown, r => Assert.True(r.Ok, r.ToString()));
        Assert.Equal("TokenAcquisitionFailed", afterExpiry.Code);
        Assert.Equal("identity", afterExpiry.Source);
        Assert.True(afterExpiry.Envelope.GetProperty("retryable").GetBoolean(), afterExpiry.ToString());
        Assert.True(recovered.Ok, recovered.ToString());
    }

    [Fact]
    public async Task Hundreds_of_slow_clients_do_not_starve_other_callers_and_are_cut_off()
    {
        await using var simulator = await ApimSimulator.StartAsync();
        var settings = IntermediaryHost.UpstreamSettings(simulator);
        // Short limits so the cut-offs happen within the test; the README gives the defaults.
        settings["Kestrel:Limits:RequestHeadersTimeout"] = "00:00:02";
        await using var host = await IntermediaryHost.StartAsync(simulator, settings, services: s =>
            s.PostConfigure<KestrelServerOptions>(k => k.Limits.MinRequestBodyDataRate = new MinDataRate(240, TimeSpan.FromSeconds(2))));

        var slowHeaders = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => OpenSlowAsync(host.BaseAddress,
            "GET /api/call/demo/items HTTP/1.1\r\nHost: x\r\n")));
        var slowBodies = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => OpenSlowAsync(host.BaseAddress,
            $"POST /api/call/demo/items?errorMode=status HTTP/1.1\r\nHost: x\r\nx-functions-key: {IntermediaryHost.FunctionKey}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{")));
        using var trickling = new CancellationTokenSource();
        var trickle = Task.WhenAll(slowHeaders.Concat(slowBodies).Select(s => s.TrickleAsync(trickling.Token)));

        var others = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => host.GetAsync("api/call/demo/items")));

        var answers = await Task.WhenAll(slowHeaders.Concat(slowBodies).Select(s => s.ReadAnswerAsync()));
        await trickling.CancelAsync();
        await trickle;
        Assert.All(others, r => Assert.True(r.Ok, r.ToString()));
        Assert.All(answers.Take(150), a => Assert.StartsWith("HTTP/1.1 408", a, StringComparison.Ordinal));
        Assert.All(answers.Skip(150), a =>
        {
            Assert.StartsWith("HTTP/1.1 408", a, StringComparison.Ordinal);
            Assert.Contains("\"code\":\"Timeout\"", a, StringComparison.Ordinal);
        });
        Assert.DoesNotContain(host.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal));
        foreach (var slow in slowHeaders.Concat(slowBodies))
        {
            slow.Dispose();
        }
    }

    private static async Task<string> StartAsync(HttpClient client, ServerProcess server, int i)
    {
        using var request = server.Request(HttpMethod.Post, $"api/jobs/demo/jobs/slow?n={i}&seconds=2");
        request.Headers.Add("X-Job-Method", "GET");
        request.Headers.Add("Idempotency-Key", $"fault-{i}");
        request.Content = NoBody();
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 202, body);
        using var envelope = JsonDocument.Parse(body);
        return envelope.RootElement.GetProperty("job").GetProperty("id").GetString()!;
    }

    private static async Task<string> WaitForJobAsync(HttpClient client, ServerProcess server, string id)
    {
        for (var i = 0; i < 1200; i++)
        {
            using var request = server.Request(HttpMethod.Get, $"api/jobs/{id}");
            using var response = await client.SendAsync(request);
            using var envelope = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var status = envelope.RootElement.GetProperty("job").GetProperty("status").GetString()!;
            if (status is "succeeded" or "failed" or "canceled")
            {
                return status;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"job {id} did not end within 2 minutes");
    }

    private bool Diagnose(string serverOutput)
    {
        output.WriteLine("server output:\n" + serverOutput);
        return false;
    }

    private static async Task<SlowClient> OpenSlowAsync(Uri server, string start)
    {
        var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(start));
        return new SlowClient(client, stream);
    }

    /// <summary>A connection that sends one byte every 500 ms, far below any sane rate, until the server gives up on it.</summary>
    private sealed class SlowClient(TcpClient client, NetworkStream stream) : IDisposable
    {
        public async Task TrickleAsync(CancellationToken stop)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(500, stop);
                    await stream.WriteAsync("a"u8.ToArray(), stop);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
            {
            }
        }

        /// <summary>Everything the server sends before it closes the connection.</summary>
        public async Task<string> ReadAnswerAsync()
        {
            using var answer = new MemoryStream();
            try
            {
                await stream.CopyToAsync(answer);
            }
            catch (IOException)
            {
            }

            return Encoding.UTF8.GetString(answer.ToArray());
        }

        public void Dispose() => client.Dispose();
    }
}
