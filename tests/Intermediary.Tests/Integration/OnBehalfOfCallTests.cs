using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text.Json;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Intermediary.Tests.Integration;

/// <summary>
/// Calls to an upstream configured OnBehalfOf, end to end: the Server host over loopback checks the user's token,
/// exchanges it with real MSAL at the simulator's token endpoint, and the demo API behind the gateway sees the user.
/// </summary>
public sealed class OnBehalfOfCallTests : IAsyncLifetime
{
    private const string AliceId = "a11ce000-0000-4000-8000-00000000a11c";
    private const string BobId = "b0b00000-0000-4000-8000-000000000b0b";
    private readonly TestClock _clock = new();
    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock });
        var settings = SimulatorUpstream.OnBehalfOfSettings(_simulator, "demo-user", "/whoami", "/items");
        settings["Intermediary:Upstreams:demo-user:Cache:Paths:0"] = "/whoami";
        _host = await IntermediaryHost.StartAsync(_simulator, settings, _clock);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Alice_and_bob_reach_the_backend_as_themselves_and_never_see_each_others_kept_answers()
    {
        var alice = await WhoAmIAsync(_simulator.IssueUserToken("alice"));
        var aliceAgain = await WhoAmIAsync(_simulator.IssueUserToken("alice"));
        var bob = await WhoAmIAsync(_simulator.IssueUserToken("bob"));

        Assert.True(alice.Ok, alice.Body);
        Assert.Equal(("user", AliceId), (alice.Data.GetProperty("kind").GetString(), alice.Data.GetProperty("objectId").GetString()));
        Assert.True(aliceAgain.Envelope.GetProperty("cache").GetProperty("hit").GetBoolean(), "the same user's answer is kept for them");
        Assert.Equal(BobId, bob.Data.GetProperty("objectId").GetString());
        Assert.False(bob.Envelope.GetProperty("cache").GetProperty("hit").GetBoolean());
        Assert.Equal(2, _simulator.UserTokenExchanges);
        Assert.Equal(2, _simulator.CountApiRequests("/whoami"));
    }

    [Fact]
    public async Task Without_a_users_token_nothing_is_sent_anywhere()
    {
        var missing = await _host.CallAsync(HttpMethod.Get, "api/call/demo-user/whoami?errorMode=status");
        var appToken = await _host.CallAsync(HttpMethod.Get, "api/call/demo-user/whoami?errorMode=status",
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."));

        Assert.Equal((401, "Unauthenticated"), (missing.StatusCode, missing.Code));
        Assert.Contains("Authorization: Bearer", missing.Message, StringComparison.Ordinal);
        Assert.Equal((401, "Unauthenticated"), (appToken.StatusCode, appToken.Code));
        Assert.Equal(0, _simulator.TokenRequestCount);
        Assert.Equal(0, _simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task The_function_key_is_still_required_with_a_users_token()
    {
        var response = await _host.CallAsync(HttpMethod.Get, "api/call/demo-user/whoami",
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _simulator.IssueUserToken("alice")), withKey: false);

        Assert.Equal("Unauthenticated", response.Code);
        Assert.Contains("function key", response.Message, StringComparison.Ordinal);
        Assert.Equal(0, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task An_expired_user_token_is_Unauthenticated()
    {
        var token = _simulator.IssueUserToken("alice", TimeSpan.FromMinutes(5));
        _clock.Advance(TimeSpan.FromMinutes(10));

        var response = await WhoAmIAsync(token);

        Assert.Equal((401, "Unauthenticated"), (response.StatusCode, response.Code));
        Assert.Contains("expired", response.Message, StringComparison.Ordinal);
        Assert.Equal(0, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task Consent_and_claims_challenges_reach_the_maker_as_their_own_codes()
    {
        _simulator.ScriptUser("alice", UserChallenge.ConsentRequired);
        _simulator.ScriptUser("bob", UserChallenge.MfaRequired);

        var consent = await WhoAmIAsync(_simulator.IssueUserToken("alice"));
        var mfa = await WhoAmIAsync(_simulator.IssueUserToken("bob"));

        Assert.Equal((403, "ConsentRequired", "identity", false), (consent.StatusCode, consent.Code, consent.Source, consent.Envelope.GetProperty("retryable").GetBoolean()));
        Assert.Equal("AADSTS65001", consent.Upstream.GetProperty("code").GetString());
        Assert.Equal((401, "InteractionRequired"), (mfa.StatusCode, mfa.Code));
        Assert.Equal("AADSTS50076", mfa.Upstream.GetProperty("code").GetString());
        using var claims = JsonDocument.Parse(mfa.Upstream.GetProperty("claims").GetString()!);
        Assert.Equal(JsonValueKind.Object, claims.RootElement.GetProperty("access_token").ValueKind);
        Assert.False(consent.Upstream.TryGetProperty("claims", out _), "claims appear only with a challenge");
        Assert.Equal(0, _simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Five_hundred_concurrent_calls_with_alices_token_make_one_exchange()
    {
        var token = _simulator.IssueUserToken("alice");
        using var active = new MetricCollector<long>(_host.Services.GetRequiredService<IMeterFactory>(), "Microsoft.AspNetCore.Hosting", "http.server.active_requests");
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 500 }) { BaseAddress = _host.BaseAddress };

        Task<HttpResponseMessage>[] calls;
        using (_simulator.HoldTokenResponses())
        {
            calls = [.. Enumerable.Range(0, 500).Select(i => client.SendAsync(Request(token, $"api/call/demo-user/items?n={i}")))];
            await Eventually.True(() => active.GetMeasurementSnapshot().Sum(m => m.Value) == 500 && _simulator.TokenRequestCount == 1,
                "all 500 calls inside the service, the one exchange held at the token endpoint");
        }

        var responses = await Task.WhenAll(calls);
        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        Assert.Equal(1, _simulator.TokenRequestCount);
        Assert.Equal(1, _simulator.UserTokenExchanges);
        Assert.Equal(500, _simulator.CountApiRequests("/items"));
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    private Task<IntermediaryHost.Response> WhoAmIAsync(string token) =>
        _host.CallAsync(HttpMethod.Get, "api/call/demo-user/whoami?errorMode=status",
            r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token));

    private static HttpRequestMessage Request(string token, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("x-functions-key", IntermediaryHost.FunctionKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }
}
