using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http.Features;

namespace Intermediary.Simulator.Gateway;

/// <summary>What arrived at the gateway and what got through to the backend, for tests to count and inspect.</summary>
internal sealed class GatewayTraffic
{
    private const int MaxRecorded = 5000;
    private const int MaxTargets = 200_000;

    private readonly ConcurrentQueue<RecordedRequest> _recorded = new();
    private readonly ConcurrentQueue<string> _targets = new();
    private readonly ConcurrentDictionary<string, int> _apiRequestsByPath = new(StringComparer.Ordinal);
    private int _gatewayRequests;
    private int _apiRequests;
    private int _inFlight;

    public int GatewayRequests => Volatile.Read(ref _gatewayRequests);

    public int ApiRequests => Volatile.Read(ref _apiRequests);

    public int InFlight => Volatile.Read(ref _inFlight);

    public IReadOnlyList<RecordedRequest> Recorded => _recorded.ToArray();

    /// <summary>Raw request targets of everything that arrived under /demo (the last 200,000), before any check.</summary>
    public IReadOnlyList<string> Targets => _targets.ToArray();

    public void CountGatewayRequest(HttpContext context)
    {
        Interlocked.Increment(ref _gatewayRequests);
        _targets.Enqueue(context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? $"{context.Request.PathBase}{context.Request.Path}{context.Request.QueryString}");
        while (_targets.Count > MaxTargets)
        {
            _targets.TryDequeue(out _);
        }
    }

    /// <summary>Counts a request that passed the gateway's checks; <paramref name="apiPath"/> is the path after "/demo".</summary>
    public void RecordApiRequest(HttpRequest request, string apiPath)
    {
        Interlocked.Increment(ref _apiRequests);
        _apiRequestsByPath.AddOrUpdate(apiPath, 1, (_, count) => count + 1);

        var headers = request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        _recorded.Enqueue(new RecordedRequest(request.Method, $"{request.PathBase}{request.Path}{request.QueryString}", headers));
        while (_recorded.Count > MaxRecorded)
        {
            _recorded.TryDequeue(out _);
        }
    }

    public int CountApiRequests(string pathPrefix) =>
        _apiRequestsByPath.Where(p => p.Key.StartsWith(pathPrefix, StringComparison.Ordinal)).Sum(p => p.Value);

    public void EnterBackend() => Interlocked.Increment(ref _inFlight);

    public void ExitBackend() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Clears counts and recordings; requests still in flight keep being tracked.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _gatewayRequests, 0);
        Interlocked.Exchange(ref _apiRequests, 0);
        _apiRequestsByPath.Clear();
        _recorded.Clear();
        _targets.Clear();
    }
}
