using System.Text;
using BenchmarkDotNet.Attributes;
using Intermediary.Endpoints;
using Intermediary.Envelopes;
using Intermediary.Security;
using Intermediary.Simulator;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.MicroBench;

/// <summary>An upstream answer read into memory: Content-Length known (one right-sized array) or not (pooled buffers).</summary>
[MemoryDiagnoser]
public class ResponseRead
{
    private byte[] _body = [];

    [Params(1024, 100 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => _body = Payloads.JsonOf(Size);

    [Benchmark]
    public async Task<int> KnownLength() =>
        (await BoundedRead.ReadAsync(new MemoryStream(_body, writable: false), 10 * 1024 * 1024, CancellationToken.None, length: _body.Length))!.Value.Length;

    [Benchmark]
    public async Task<int> UnknownLength() =>
        (await BoundedRead.ReadAsync(new MemoryStream(_body, writable: false), 10 * 1024 * 1024, CancellationToken.None))!.Value.Length;
}

/// <summary>A JSON success turned into the envelope the caller gets: classify (parse) and write.</summary>
[MemoryDiagnoser]
public class EnvelopeOfJson
{
    private UpstreamResponse _response = null!;
    private readonly System.Buffers.ArrayBufferWriter<byte> _output = new(256 * 1024);

    [Params(1024, 100 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup() => _response = Payloads.Success(Payloads.JsonOf(Size));

    [Benchmark]
    public int ClassifyAndWrite()
    {
        var classification = ErrorClassifier.Classify(_response, DateTimeOffset.UtcNow);
        var envelope = new Envelope
        {
            Ok = classification.Ok,
            Status = classification.Status,
            Code = classification.Code,
            Message = classification.Message,
            Source = classification.Source,
            Attempts = 1,
            CorrelationId = "0123456789abcdef0123456789abcdef",
            RawData = classification.Data,
            Upstream = classification.Upstream,
        };
        _output.ResetWrittenCount();
        EnvelopeJson.Write(_output, envelope);
        return _output.WrittenCount;
    }
}

/// <summary>The classifier alone, on a success and on APIM's rate-limit answer.</summary>
[MemoryDiagnoser]
public class Classification
{
    private readonly UpstreamResponse _success = Payloads.Success(Payloads.JsonOf(1024));
    private readonly UpstreamResponse _rateLimited = new(429, "application/json",
        Encoding.UTF8.GetBytes("""{"statusCode":429,"message":"Rate limit is exceeded. Try again in 7 seconds."}"""),
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Retry-After"] = "7", ["Content-Type"] = "application/json" }, false);

    [Benchmark]
    public bool Success() => ErrorClassifier.Classify(_success, DateTimeOffset.UtcNow).Ok;

    [Benchmark]
    public bool RateLimited() => ErrorClassifier.Classify(_rateLimited, DateTimeOffset.UtcNow).Retryable;
}

/// <summary>The caller's headers filtered down to what is forwarded (defaults), from a typical browser-ish request.</summary>
[MemoryDiagnoser]
public class HeaderSelection
{
    private readonly HeaderDictionary _incoming = new()
    {
        ["Accept"] = "application/json",
        ["Accept-Language"] = "en-GB,en;q=0.9",
        ["Content-Type"] = "application/json",
        ["Cookie"] = "session=abc",
        ["Host"] = "intermediary.example",
        ["If-None-Match"] = "\"v1\"",
        ["Idempotency-Key"] = "order-42",
        ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ["User-Agent"] = "PowerApps/3.24",
        ["x-functions-key"] = "function-key-placeholder",
    };

    [Benchmark]
    public int Select() => HeaderForwarding.Select(_incoming, HeaderForwarding.Defaults).Count;
}

/// <summary>A token lookup once the token is held (the per-call path), against real MSAL behind it.</summary>
[MemoryDiagnoser]
public class TokenLookup
{
    private ApimSimulator _simulator = null!;
    private ServiceProvider _services = null!;
    private ITokenProvider _tokens = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _simulator = await ApimSimulator.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(SimulatorUpstream.Settings(_simulator, "demo", "/items")).Build());
        services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(_simulator.CreateTrustingHandler);
        _services = services.BuildServiceProvider();
        _tokens = _services.GetRequiredService<ITokenProvider>();
        await _tokens.GetTokenAsync("demo", null, CancellationToken.None);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _services.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Benchmark]
    public async Task<bool> HeldToken() => (await _tokens.GetTokenAsync("demo", null, CancellationToken.None)).Succeeded;
}

internal static class Payloads
{
    /// <summary>A JSON array of items about <paramref name="size"/> bytes long, like the demo API's list.</summary>
    public static byte[] JsonOf(int size)
    {
        var text = new StringBuilder("[");
        for (var i = 1; text.Length < size - 60; i++)
        {
            text.Append(i == 1 ? "" : ",").Append("{\"id\":\"").Append(i).Append("\",\"name\":\"Item number ").Append(i).Append("\",\"price\":").Append(i % 97).Append(".5}");
        }

        return Encoding.UTF8.GetBytes(text.Append(']').ToString());
    }

    public static UpstreamResponse Success(byte[] body) => new(200, "application/json; charset=utf-8", body,
        new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Content-Type"] = "application/json; charset=utf-8" }, false);
}
