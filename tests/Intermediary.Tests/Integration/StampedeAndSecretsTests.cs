using System.Text;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Integration;

public sealed class StampedeAndSecretsTests : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync();

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Thousand_concurrent_cold_calls_through_the_server_make_one_token_request()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1000 }) { BaseAddress = host.BaseAddress };

        var calls = Enumerable.Range(0, 1000).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/call/demo/items");
            request.Headers.Add("x-functions-key", IntermediaryHost.FunctionKey);
            using var response = await client.SendAsync(request);
            return new IntermediaryHost.Response(response, await response.Content.ReadAsStringAsync());
        });
        var responses = await Task.WhenAll(calls);

        Assert.All(responses, r => Assert.True(r.Ok, r.ToString()));
        Assert.Equal(1, _simulator.TokenRequestCount);
        Assert.Equal(1000, _simulator.ApiRequestCount);
    }

    [Fact]
    public async Task No_secret_or_token_appears_in_any_envelope_or_log()
    {
        const string wrongSecret = "wrong-client-secret-zzz";
        var bodies = new List<string>();
        var settings = IntermediaryHost.UpstreamSettings(_simulator, "second");
        // As if an operator turned every log up to the most verbose level.
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        await using (var host = await IntermediaryHost.StartAsync(_simulator, settings, new TestClock()))
        {
            foreach (var path in new[] { "items", "items/x", "faults/html", "faults/reset", "faults/status/500", "echo", "faults/flaky?failures=1&key=s" })
            {
                bodies.Add((await host.GetAsync($"api/call/demo/{path}")).Body);
            }

            bodies.Add((await host.CallAsync(HttpMethod.Post, "api/call/demo/items", r => r.Content = new StringContent("{", Encoding.UTF8, "application/json"))).Body);
            bodies.Add((await host.GetAsync("api/health")).Body);
            bodies.Add((await host.CallAsync(HttpMethod.Get, "api/call/demo/items?code=guessed-key", withKey: false)).Body);
            _simulator.RevokeIssuedTokens();
            bodies.Add((await host.GetAsync("api/call/second/items")).Body);
            // No exemptions: the echo's body is checked like every other (it reflects the headers we sent).
            AssertNoSecrets(bodies, host.Logs.Lines, _simulator.Options.SubscriptionKey, _simulator.Options.ClientSecret);
        }

        await using (var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:Upstreams:demo:ClientSecret"] = wrongSecret }, new TestClock()))
        {
            var body = (await host.GetAsync("api/call/demo/items")).Body;
            AssertNoSecrets([body], host.Logs.Lines, wrongSecret, _simulator.Options.SubscriptionKey);
        }
    }

    private static void AssertNoSecrets(IEnumerable<string> bodies, IEnumerable<string> logs, params string[] secrets)
    {
        var texts = bodies.Select(b => ("envelope", b)).Concat(logs.Select(l => ("log", l))).ToList();
        Assert.NotEmpty(texts);
        foreach (var (kind, text) in texts)
        {
            foreach (var secret in secrets.Append(IntermediaryHost.FunctionKey).Append("guessed-key"))
            {
                Assert.False(text.Contains(secret, StringComparison.Ordinal), $"{kind} contains a secret: {text}");
            }

            // Every JWT starts with a base64url '{"' header.
            Assert.False(text.Contains("eyJ", StringComparison.Ordinal), $"{kind} contains a bearer token: {text}");
        }
    }
}
