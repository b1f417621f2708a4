using Intermediary.Endpoints;
using Intermediary.Simulator;

namespace Intermediary.Server;

/// <summary>
/// <c>--demo</c>: starts the APIM + Entra simulator in-process on free loopback ports and points two upstreams at
/// it — <c>demo</c> (the service's own identity) and <c>demo-user</c> (on behalf of the simulator's users) — so a
/// newcomer sees real envelopes without an Azure account.
/// </summary>
internal sealed class DemoMode : IAsyncDisposable
{
    public const string FunctionKey = "demo-key";
    public const string UserUpstream = "demo-user";
    private readonly ApimSimulator _simulator;

    private DemoMode(ApimSimulator simulator) => _simulator = simulator;

    public static async Task<DemoMode> StartAsync(WebApplicationBuilder builder, CancellationToken cancellationToken)
    {
        var simulator = await ApimSimulator.StartAsync(new SimulatorOptions(), cancellationToken);
        var settings = SimulatorUpstream.DemoSettings(simulator);
        // The same API called on behalf of the signed-in user: the simulator's users alice and bob.
        foreach (var (key, value) in SimulatorUpstream.OnBehalfOfSettings(simulator, UserUpstream, "/whoami", "/items", "/lro"))
        {
            settings[key] = value;
        }

        settings["Intermediary:FunctionKeys:demo"] = FunctionKey;
        builder.Configuration.AddInMemoryCollection(settings);

        // The simulator's TLS certificate is self-signed and generated at start: trust exactly it, only for MSAL.
        builder.Services.AddHttpClient(IntermediaryHttpClients.Tokens)
            .ConfigurePrimaryHttpMessageHandler(simulator.CreateTrustingHandler);
        return new DemoMode(simulator);
    }

    public void PrintTour(ICollection<string> urls)
    {
        var baseUrl = urls.FirstOrDefault() ?? "http://127.0.0.1:7071";
        string Call(string path) => $"curl -s -H 'x-functions-key: {FunctionKey}' '{baseUrl}/api/call/demo{path}'";
        Console.WriteLine($"""

            Intermediary demo: upstream 'demo' is the in-process APIM + Entra simulator at {_simulator.ApiBaseAddress}
            Function key: {FunctionKey}. Paste any of these (add -i to see headers, -H 'X-Error-Mode: status' to mirror statuses):

              {Call("/items")}
                  success: data is the API's JSON. Again within 10 s: cache.hit true, no call to the API
              seq 20 | xargs -P 20 -I{"{}"} {Call("/items?page=2")} | grep -o '"cache":{"{"}[^{"}"}]*{"}"}' | sort | uniq -c
                  a burst of 20 identical reads: one call to the API; the others shared it (coalesced) or came later (hit)
              {Call("/faults/outage?seconds=60")}
                  the item reads fail (503) for a minute; 10 s later {Call("/items")}
                  answers ok with the kept data: cache.stale true, ageSeconds, and a message naming the failure
              {Call("/items/42")}
                  the backend's 404 in Azure's error shape: NotFound
              {Call("/faults/flaky?failures=2&key=tour")}
                  two 503s, then success: attempts = 3
              {Call("/faults/status/429?retryAfter=120")}
                  Retry-After beyond the budget: RateLimited at once, retryAfterSeconds = 120
              {Call("/faults/ratelimit")}
                  APIM's rate limit: 3 calls a minute pass, the 4th is RateLimited (source gateway)
              {Call("/faults/quota")}
                  APIM's quota: QuotaExceeded
              {Call("/faults/html")}
                  an HTML error page: InvalidResponse with a markup-free excerpt (~11 s: the 502s are retried first)
              {Call("/faults/slow?seconds=10")}
                  slower than the 4 s attempt timeout, retried until the 15 s demo budget ends: Timeout
              {Call("/faults/reset")}
                  connection reset: NetworkError (~11 s: resets are retried first)
              curl -s '{baseUrl}/api/call/demo/items'
                  no function key: Unauthenticated
              curl -s -H 'x-functions-key: {FunctionKey}' '{baseUrl}/api/health'
                  token and upstream check
              curl -s -X POST -H 'x-functions-key: {FunctionKey}' -H 'X-Job-Method: GET' '{baseUrl}/api/jobs/demo/jobs/slow?seconds=20'
                  a job: 202 with job.statusUrl; poll it (with the key) until job.status is succeeded
              curl -s -X POST -H 'x-functions-key: {FunctionKey}' '{baseUrl}/api/jobs/demo/lro/start?seconds=10'
                  a job that follows the API's own long-running operation (202 + Operation-Location) to its end

            On behalf of a signed-in user (upstream '{UserUpstream}'): get alice's token for this service from the simulator's
            development grant (user=bob works too), then call with it as well as the key:

              TOKEN=$(curl -s -d user=alice '{_simulator.UserTokenEndpoint}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
              curl -s -H 'x-functions-key: {FunctionKey}' -H "Authorization: Bearer $TOKEN" '{baseUrl}/api/call/{UserUpstream}/whoami'
                  the backend sees alice (kind user, her objectId), not this service; without the token: Unauthenticated
              curl -s -X POST -H 'x-functions-key: {FunctionKey}' -H "Authorization: Bearer $TOKEN" '{baseUrl}/api/jobs/{UserUpstream}/lro/start?seconds=10'
                  a job acting as alice, also after her token expires; poll job.statusUrl with the same two headers

            """);
    }

    public ValueTask DisposeAsync() => _simulator.DisposeAsync();
}
