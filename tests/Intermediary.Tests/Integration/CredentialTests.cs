using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Integration;

/// <summary>Upstream credentials that go wrong: the gateway's subscription key and Entra's token endpoint.</summary>
public sealed class CredentialTests : IAsyncLifetime
{
    private readonly TestClock _clock = new();
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock });

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Missing_subscription_key_is_SubscriptionKeyInvalid_from_the_gateway()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:Upstreams:demo:SubscriptionKey"] = "" }, _clock);

        var response = await host.GetAsync("api/call/demo/items?errorMode=status");

        Assert.Equal("SubscriptionKeyInvalid", response.Code);
        Assert.Equal("gateway", response.Source);
        Assert.Contains("missing subscription key", response.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(502, response.StatusCode);
        Assert.Equal(401, response.Upstream.GetProperty("status").GetInt32());
        Assert.Equal(0, _simulator.ApiRequestCount);
    }

    [Fact]
    public async Task Invalid_subscription_key_is_SubscriptionKeyInvalid_and_not_retried()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:Upstreams:demo:SubscriptionKey"] = "wrong-key-value" }, _clock);

        var response = await host.GetAsync("api/call/demo/items");

        Assert.Equal("SubscriptionKeyInvalid", response.Code);
        Assert.Contains("invalid subscription key", response.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, response.Attempts);
        Assert.DoesNotContain("wrong-key-value", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_client_secret_is_TokenAcquisitionFailed_with_the_aadsts_code_and_no_secret()
    {
        const string secret = "wrong-secret-that-must-not-leak";
        await using var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:Upstreams:demo:ClientSecret"] = secret }, _clock);

        var response = await host.GetAsync("api/call/demo/items?errorMode=status");

        Assert.Equal("TokenAcquisitionFailed", response.Code);
        Assert.Equal("identity", response.Source);
        Assert.Equal(502, response.StatusCode);
        Assert.Equal("AADSTS7000215", response.Upstream.GetProperty("code").GetString());
        Assert.Contains("AADSTS7000215", response.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Trace ID", response.Message, StringComparison.Ordinal);
        Assert.Equal(0, _simulator.GatewayRequestCount);
        Assert.DoesNotContain(host.Logs.Lines, line => line.Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Token_endpoint_outage_is_retryable_and_not_cached()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, clock: _clock);
        _simulator.SetTokenFault(new TokenFault(400, "invalid_request", "AADSTS90002: Tenant 'x' not found.", 90002));

        var failed = await host.GetAsync("api/call/demo/items");
        _simulator.SetTokenFault(null);
        var recovered = await host.GetAsync("api/call/demo/items");

        Assert.Equal("TokenAcquisitionFailed", failed.Code);
        Assert.Equal("AADSTS90002", failed.Upstream.GetProperty("code").GetString());
        Assert.True(recovered.Ok, recovered.ToString());
    }

    [Fact]
    public async Task Expired_token_is_refreshed_once_and_the_call_succeeds()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, clock: _clock);
        var first = await host.GetAsync("api/call/demo/items");
        Assert.True(first.Ok, first.ToString());
        Assert.Equal(1, _simulator.TokenRequestCount);

        // The gateway's clock moves past the token's expiry; MSAL (on the real clock) still trusts its cached token.
        _clock.Advance(TimeSpan.FromHours(2));
        var second = await host.GetAsync("api/call/demo/items");

        Assert.True(second.Ok, second.ToString());
        Assert.Equal(2, second.Attempts);
        Assert.Equal(2, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task A_token_rejected_again_after_refresh_is_not_refreshed_in_a_loop()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, clock: _clock);
        await host.GetAsync("api/call/demo/items");
        // Every token the simulator ever issues will look expired to the gateway.
        _simulator.Options.TokenLifetime = TimeSpan.FromSeconds(-10);
        _simulator.RevokeIssuedTokens();

        var response = await host.GetAsync("api/call/demo/items");

        Assert.Equal("Unauthorized", response.Code);
        Assert.Equal("gateway", response.Source);
        Assert.Equal(2, response.Attempts);
        Assert.Equal(2, _simulator.TokenRequestCount);
    }
}
