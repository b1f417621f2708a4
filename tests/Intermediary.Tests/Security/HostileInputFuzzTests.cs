using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using CsCheck;
using Intermediary.Jobs;
using Intermediary.Security;
using Intermediary.Server;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Intermediary.Tests.Security;

/// <summary>
/// Hostile input as properties, over generated requests (CsCheck generators, driven from a seed): paths full of
/// traversal tricks, queries, header names and values with line breaks and non-ASCII, bodies, methods, job
/// descriptions, and raw request lines HttpClient would never send — against the real Server host and simulator.
/// Per answer: an envelope (or a documented bare server reject), never InternalError, never a secret. Over the
/// run: every request the simulator saw is inside the allowlist and free of traversal, upstream requests equal the
/// attempts the envelopes report, and no log line at any level holds a secret.
/// </summary>
public sealed class HostileInputFuzzTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int FixedSeedRequests = 6_000;
    private const int FreshSeedRequests = 4_000;

    private static readonly string[] s_allowed = ["/items", "/echo", "/faults/status", "/faults/html", "/faults/text", "/faults/invalid-json", "/faults/empty"];
    private static readonly int[] s_bareRejects = [400, 408, 413, 414, 431, 505];
    private static readonly string[] s_envelopeFields =
        ["ok", "status", "code", "message", "source", "retryable", "retryAfterSeconds", "attempts", "durationMs", "correlationId", "data", "upstream", "job", "cache"];

    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync();
        var settings = SimulatorUpstream.Settings(_simulator, "demo", s_allowed);
        foreach (var (key, value) in new Dictionary<string, string?>
        {
            // Every log category at its most verbose: the secret scan covers what an operator could turn on.
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            // Real time, but backoff in milliseconds: retries happen without making the run slow.
            ["Intermediary:Upstreams:demo:Resilience:BaseDelay"] = "00:00:00.001",
            ["Intermediary:Upstreams:demo:Resilience:MaxDelay"] = "00:00:00.005",
            ["Intermediary:Upstreams:demo:Resilience:TotalTimeout"] = "00:00:05",
            ["Intermediary:Upstreams:demo:Resilience:AttemptTimeout"] = "00:00:04",
            ["Intermediary:Jobs:MaxConcurrency"] = "8",
        })
        {
            settings[key] = value;
        }

        _host = await IntermediaryHost.StartAsync(_simulator, settings);
        _client = CreateClient(_host.BaseAddress);
    }

    /// <summary>Lets generated non-ASCII header values leave as UTF-8 bytes instead of being refused by HttpClient.</summary>
    private static HttpClient CreateClient(Uri baseAddress) =>
        new(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8, MaxConnectionsPerServer = 16 }) { BaseAddress = baseAddress };

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Ten_thousand_generated_hostile_requests_hold_every_property()
    {
        var fixedSeed = new PCG(20261127, 9).ToString();
        var freshSeed = new PCG((uint)Random.Shared.Next(), (ulong)Random.Shared.NextInt64()).ToString();
        output.WriteLine($"fixed seed {fixedSeed}, fresh seed {freshSeed} (replay one by passing it to RunAsync)");
        var started = System.Diagnostics.Stopwatch.StartNew();
        var gatewayBefore = _simulator.GatewayRequestCount;
        var run = new RunTotals();

        await RunAsync(fixedSeed, FixedSeedRequests, run);
        await RunAsync(freshSeed, FreshSeedRequests, run);
        var jobAttempts = await WaitForJobsAsync(run.JobIds.Keys);

        var why = $"(fixed seed {fixedSeed}, fresh seed {freshSeed})";
        output.WriteLine($"{run.Sent} requests, {run.Envelopes} envelopes, {run.JobIds.Count} jobs, {run.UpstreamAttempts + jobAttempts} upstream attempts, "
            + $"{_simulator.GatewayTargets.Count} gateway requests, {_host.Logs.Lines.Count} log lines, {started.Elapsed.TotalSeconds:0} s");
        Assert.True(run.Sent >= FixedSeedRequests + FreshSeedRequests, $"only {run.Sent} requests were sent {why}");
        Assert.True(run.Envelopes > run.Sent / 2, $"most answers should be envelopes, got {run.Envelopes} of {run.Sent} {why}");
        Assert.True(run.UpstreamAttempts + jobAttempts > 500, $"the run should reach the upstream often {why}");
        Assert.Equal(run.UpstreamAttempts + jobAttempts, _simulator.GatewayRequestCount - gatewayBefore);
        foreach (var target in _simulator.GatewayTargets)
        {
            AssertInsideTheAllowlist(target, why);
        }

        var secrets = Secrets();
        Assert.DoesNotContain(_host.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal));
        foreach (var line in _host.Logs.Lines)
        {
            AssertNoSecret(line, secrets, $"log line {why}");
        }

        foreach (var answer in run.Answers)
        {
            AssertNoSecret(answer, secrets, $"answer {why}");
        }
    }

    private async Task RunAsync(string seed, int count, RunTotals run)
    {
        // Generated one after another from the seed (so a seed replays exactly), then sent eight at a time.
        var pcg = PCG.Parse(seed);
        var attacks = Enumerable.Range(0, count).Select(_ => AttackGen.Generate(pcg, null, out Size _)).ToList();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, cancellation) =>
        {
            var attack = attacks[i];
            var (status, body) = attack.Kind == AttackKind.Raw ? await SendRawAsync(attack) : await SendAsync(attack);
            Interlocked.Increment(ref run.Sent);
            run.Answers.Add(body);
            var where = $"seed {seed}, request {i}: {attack}";
            if (body.Length == 0)
            {
                // Kestrel's own refusals (a malformed request line or header, e.g. a non-ASCII Host) carry no body.
                Assert.True(s_bareRejects.Contains(status), $"HTTP {status} without an envelope for {where}");
                return;
            }

            using var envelope = JsonDocument.Parse(body);
            var root = envelope.RootElement;
            Assert.All(s_envelopeFields, field => Assert.True(root.TryGetProperty(field, out _), $"'{field}' missing from {body} for {where}"));
            Assert.NotEqual("InternalError", root.GetProperty("code").GetString());
            Interlocked.Increment(ref run.Envelopes);
            Interlocked.Add(ref run.UpstreamAttempts, root.GetProperty("attempts").GetInt32());
            if (status == 202 && root.GetProperty("job").ValueKind == JsonValueKind.Object)
            {
                // The start itself never calls the upstream; the job does, once per distinct job (idempotent starts share one).
                run.JobIds.TryAdd(root.GetProperty("job").GetProperty("id").GetString()!, 0);
            }
        });
    }

    private async Task<(int Status, string Body)> SendAsync(Attack attack)
    {
        var path = attack.Kind switch
        {
            AttackKind.Job => "api/jobs/demo",
            AttackKind.JobAsIs => "api/jobs/demo/" + attack.Path,
            _ => "api/call/demo/" + attack.Path,
        };
        if (!Uri.TryCreate(_host.BaseAddress, path + attack.Query, out var uri))
        {
            return await SendRawAsync(attack with { Kind = AttackKind.Raw });
        }

        using var request = new HttpRequestMessage(attack.Kind is AttackKind.Job or AttackKind.JobAsIs ? HttpMethod.Post : new HttpMethod(attack.Method), uri);
        request.Headers.Add("x-functions-key", IntermediaryHost.FunctionKey);
        if (attack.Kind == AttackKind.JobAsIs)
        {
            request.Headers.TryAddWithoutValidation(Intermediary.Endpoints.JobHandler.JobMethodHeader, attack.Method);
        }

        var body = attack.Kind == AttackKind.Job ? attack.Description() : attack.Body;
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, attack.Kind == AttackKind.Job ? "application/json" : "application/octet-stream");
        }

        foreach (var (name, value) in attack.Headers)
        {
            if (value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0 || !request.Headers.TryAddWithoutValidation(name, value))
            {
                continue;
            }
        }

        using var response = await _client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<(int Status, string Body)> SendRawAsync(Attack attack)
    {
        var head = new StringBuilder($"{attack.Method} /api/call/demo/{attack.Path}{attack.Query} HTTP/1.1\r\n");
        head.Append($"Host: {_host.BaseAddress.Authority}\r\nx-functions-key: {IntermediaryHost.FunctionKey}\r\nConnection: close\r\n");
        foreach (var (name, value) in attack.Headers)
        {
            head.Append($"{name}: {value}\r\n");
        }

        var body = Encoding.UTF8.GetBytes(attack.Body ?? "");
        head.Append($"Content-Length: {body.Length}\r\n\r\n");
        using var client = new TcpClient();
        await client.ConnectAsync(_host.BaseAddress.Host, _host.BaseAddress.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(head.ToString()).Concat(body).ToArray());
        using var received = new MemoryStream();
        await stream.CopyToAsync(received);
        var response = received.ToArray();
        var headEnd = response.AsSpan().IndexOf("\r\n\r\n"u8);
        var answerHead = Encoding.ASCII.GetString(response, 0, headEnd);
        var status = int.Parse(answerHead.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var content = response.AsSpan(headEnd + 4);
        return (status, Encoding.UTF8.GetString(answerHead.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) ? Dechunk(content) : content));
    }

    /// <summary>Waits for every started job to end; the attempts their results report.</summary>
    private async Task<long> WaitForJobsAsync(IEnumerable<string> ids)
    {
        var store = _host.Services.GetRequiredService<IJobStore>();
        long attempts = 0;
        foreach (var id in ids)
        {
            JobRecord? job = null;
            await Eventually.True(() => (job = store.GetAsync(id, default).GetAwaiter().GetResult()) is { } j && j.Status.IsTerminal(), $"job {id} ends");
            using var result = JsonDocument.Parse(job!.ResultJson!);
            Assert.NotEqual("InternalError", result.RootElement.GetProperty("code").GetString());
            attempts += result.RootElement.GetProperty("attempts").GetInt32();
        }

        return attempts;
    }

    private static void AssertInsideTheAllowlist(string target, string why)
    {
        Assert.StartsWith("/demo/", target, StringComparison.Ordinal);
        var rawPath = target.Split('?')[0]["/demo".Length..];
        Assert.True(RequestPath.RawTargetProblem(rawPath) is null, $"the simulator saw a traversal: {target} {why}");
        var decoded = Uri.UnescapeDataString(rawPath);
        Assert.True(s_allowed.Any(prefix => decoded == prefix || decoded.StartsWith(prefix + "/", StringComparison.Ordinal)), $"the simulator saw a path outside the allowlist: {target} {why}");
    }

    private string[] Secrets()
    {
        var tokens = _simulator.Requests.Select(r => r.Headers.GetValueOrDefault("Authorization")).OfType<string>()
            .Select(a => a["Bearer ".Length..]).Distinct();
        return [IntermediaryHost.FunctionKey, _simulator.Options.ClientSecret, _simulator.Options.SubscriptionKey, .. tokens];
    }

    private static void AssertNoSecret(string text, string[] secrets, string what)
    {
        foreach (var secret in secrets)
        {
            Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{what} holds a secret: {text}");
        }
    }

    private static byte[] Dechunk(ReadOnlySpan<byte> chunked)
    {
        var result = new List<byte>();
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n"u8);
            var size = Convert.ToInt32(Encoding.ASCII.GetString(chunked[..lineEnd]).Split(';')[0], 16);
            if (size == 0)
            {
                return [.. result];
            }

            result.AddRange(chunked.Slice(lineEnd + 2, size));
            chunked = chunked[(lineEnd + 2 + size + 2)..];
        }
    }

    private sealed class RunTotals
    {
        public long Sent;
        public long Envelopes;
        public long UpstreamAttempts;

        public ConcurrentBag<string> Answers { get; } = [];

        public ConcurrentDictionary<string, byte> JobIds { get; } = new();
    }

    private enum AttackKind
    {
        Call,
        Raw,
        Job,
        JobAsIs,
    }

    private sealed record Attack(AttackKind Kind, string Method, string Path, string Query, (string Name, string Value)[] Headers, string? Body)
    {
        /// <summary>The job description a flow would send, with the generated parts (JSON-escaped, so any string goes).</summary>
        public string Description()
        {
            var query = Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
                .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First().ElementAtOrDefault(1) ?? "");
            var headers = Headers.GroupBy(h => h.Name).ToDictionary(g => g.Key, g => g.First().Value);
            return JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["method"] = Method,
                ["path"] = Path,
                ["query"] = query,
                ["headers"] = headers,
                ["body"] = Body,
            });
        }

        public override string ToString() =>
            $"{Kind} {Method} '{Path}' '{Query}' [{string.Join("; ", Headers.Select(h => $"{h.Name}: {(h.Value.Length > 60 ? h.Value[..60] + "…" : h.Value)}"))}] body {Body?.Length ?? 0} chars";
    }

    private static readonly Gen<string> SegmentGen = Gen.Frequency(
        (6, Gen.OneOf("items", "echo", "faults", "status", "404", "503", "429", "200", "html", "text", "empty", "invalid-json", "1", "42")),
        (3, Gen.OneOf("..", ".", "%2e%2e", "%2E", ".%2e", "%2f", "%2F", "%5c", "%00", "%252e%252e", "%c0%ae%c0%ae", "\\", "..\\..", "@evil.example",
            "http:", "https:", "evil.example", "~root", ";", "..;", "%3f", "%23", "caf\u00e9", "%e9", "%20", "*", "admin", "lro", "faults/reset",
            "faults/slow", "..%2f..", "%2e%2e%5c")),
        (2, Gen.String[Gen.Char["abcXYZ019-_.~%:@!$&'()*+,;="], 0, 8]));

    private static readonly Gen<string> PathGen = Gen.Frequency(
        // Paths the upstream serves (so the upstream side is exercised too), sometimes with one hostile segment more.
        (4, Gen.Select(
            Gen.OneOf("items", "items/1", "items/42", "echo", "echo/a", "faults/status/404", "faults/status/503", "faults/status/429", "faults/status/401",
                "faults/status/500", "faults/status/302", "faults/html", "faults/text", "faults/invalid-json", "faults/empty"),
            Gen.Frequency((3, Gen.Const("")), (1, SegmentGen.Select(segment => "/" + segment))),
            (path, extra) => path + extra)),
        (5, Gen.Select(SegmentGen.Array[1, 5], Gen.Int[0, 9], (segments, lead) => (lead == 0 ? "/" : "") + string.Join('/', segments))));

    private static readonly Gen<string> QueryGen = Gen.Frequency(
        (3, Gen.Const("")),
        (4, Gen.Select(Gen.OneOf("x", "code", "errorMode", "next", "api-version", "a b", "%2e"), Gen.OneOf("1", "status", "body", "https://evil.example", "..%2f", "leaked-key", "caf\u00e9"),
            (k, v) => $"?{k}={v}")),
        (1, Gen.String[Gen.Char["a=&?#%/.:1"], 0, 12].Select(q => "?" + q)));

    private static readonly Gen<string> HeaderNameGen = Gen.Frequency(
        (5, Gen.OneOf("Accept", "Accept-Language", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "Prefer")),
        (2, Gen.OneOf("Authorization", "Cookie", "Proxy-Authorization", "Ocp-Apim-Subscription-Key", "X-Forwarded-For", "Forwarded", "traceparent",
            "x-correlation-id", "X-Error-Mode", "X-Custom", "Host")),
        (1, Gen.OneOf("Bad Name", "Bad:Name", "X\r\nInjected", "Acc\u00e9pt", "", "(x)")));

    private static readonly Gen<string> HeaderValueGen = Gen.Frequency(
        (5, Gen.String[Gen.Char[' ', '~'], 0, 40]),
        (2, Gen.OneOf("application/json\r\nContent-Length: 0\r\n\r\nGET /demo/admin HTTP/1.1\r\nHost: x\r\n\r\n", "a\nX-Injected: 1", "a\rb", "caf\u00e9", "\u2028",
            "x\0y", "tab\there", "Bearer eyJhbGciOiJub25lIn0.e30.", "status", "*", "\"etag\"")),
        (1, Gen.String[Gen.Char['\0', '\u00ff'], 0, 20]),
        (1, Gen.Int[500, 3000].Select(n => new string('v', n))));

    private static readonly Gen<string?> BodyGen = Gen.Frequency(
        (4, Gen.Const((string?)null)),
        (3, Gen.OneOf<string?>("{}", "{\"name\":\"pen\",\"price\":2}", "[1,2,3]", "{", "null", "\"text\"", "<html>x</html>")),
        (2, Gen.String[Gen.Char['\0', '\u07ff'], 0, 200].Select(s => (string?)s)));

    private static readonly Gen<Attack> AttackGen = Gen.Select(
        Gen.Frequency((5, Gen.Const(AttackKind.Call)), (3, Gen.Const(AttackKind.Raw)), (2, Gen.Const(AttackKind.Job)), (1, Gen.Const(AttackKind.JobAsIs))),
        Gen.OneOf("GET", "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "get"),
        PathGen,
        QueryGen,
        Gen.Select(HeaderNameGen, HeaderValueGen).Array[0, 4],
        BodyGen,
        (kind, method, path, query, headers, body) => new Attack(kind, method, path, query, headers, body));
}
