using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Intermediary.Endpoints;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Tokens;

/// <summary>Real MSAL against the simulator's token endpoint over HTTPS; only the counts are asserted.</summary>
public sealed class TokenProviderTests : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync();

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Thousand_concurrent_cold_calls_cause_exactly_one_token_request()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();

        Task<TokenResult>[] calls;
        using (_simulator.HoldTokenResponses())
        {
            // Each call runs synchronously up to joining the shared acquisition, so when this line is done all 1000
            // are waiting on the one request the simulator holds: none can have been served from a cache.
            calls = Enumerable.Range(0, 1000).Select(_ => tokens.GetTokenAsync("demo", null, CancellationToken.None)).ToArray();
            await Eventually.True(() => _simulator.TokenRequestCount >= 1, "the token request reached the simulator");
            Assert.DoesNotContain(calls, c => c.IsCompleted);
        }

        var results = await Task.WhenAll(calls);

        Assert.Equal(1, _simulator.TokenRequestCount);
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Single(results.Select(r => r.AccessToken).Distinct());
    }

    [Fact]
    public async Task Cached_token_is_reused_without_another_request()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();

        var first = await tokens.GetTokenAsync("demo", null, CancellationToken.None);
        var second = await tokens.GetTokenAsync("demo", null, CancellationToken.None);

        Assert.Equal(first.AccessToken, second.AccessToken);
        Assert.Equal(1, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task Rejected_token_is_replaced_by_one_forced_refresh_even_for_many_callers()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();
        var stale = (await tokens.GetTokenAsync("demo", null, CancellationToken.None)).AccessToken;

        var refreshed = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => tokens.GetTokenAsync("demo", stale, CancellationToken.None))));

        Assert.All(refreshed, r => Assert.NotEqual(stale, r.AccessToken));
        Assert.Equal(2, _simulator.TokenRequestCount);
        var fresh = refreshed[0].AccessToken;
        Assert.Equal(fresh, (await tokens.GetTokenAsync("demo", null, CancellationToken.None)).AccessToken);
    }

    [Fact]
    public async Task Failures_are_not_cached()
    {
        using var services = Build(new() { ["Intermediary:Upstreams:demo:ClientSecret"] = "wrong" });
        var tokens = services.GetRequiredService<ITokenProvider>();

        var first = await tokens.GetTokenAsync("demo", null, CancellationToken.None);
        var second = await tokens.GetTokenAsync("demo", null, CancellationToken.None);

        Assert.False(first.Succeeded);
        Assert.False(second.Succeeded);
        Assert.Equal("AADSTS7000215", first.Failure!.ErrorCode);
        Assert.Equal(2, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task Certificate_credential_gets_a_token()
    {
        using var certificate = CreateClientCertificate();
        _simulator.Options.ClientCertificate = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        using var services = Build(new()
        {
            ["Intermediary:Upstreams:demo:Credential"] = "Certificate",
            ["Intermediary:Upstreams:demo:ClientSecret"] = null,
            ["Intermediary:Upstreams:demo:CertificateBase64"] = Convert.ToBase64String(certificate.Export(X509ContentType.Pfx, "pfx-password")),
            ["Intermediary:Upstreams:demo:CertificatePassword"] = "pfx-password",
        });

        var result = await services.GetRequiredService<ITokenProvider>().GetTokenAsync("demo", null, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure?.Message);
    }

    [Fact]
    public async Task Unreadable_certificate_is_a_clear_failure_not_an_exception()
    {
        using var services = Build(new()
        {
            ["Intermediary:Upstreams:demo:Credential"] = "Certificate",
            ["Intermediary:Upstreams:demo:CertificateBase64"] = Convert.ToBase64String([1, 2, 3]),
        });

        var result = await services.GetRequiredService<ITokenProvider>().GetTokenAsync("demo", null, CancellationToken.None);

        Assert.Equal("CertificateLoadFailed", result.Failure?.ErrorCode);
        Assert.Equal(0, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task Client_assertion_hook_supplies_the_federated_assertion()
    {
        _simulator.Options.FederatedAssertion = "federated-assertion-from-workload-identity";
        var provider = new FixedAssertionProvider("federated-assertion-from-workload-identity");
        using var services = Build(new() { ["Intermediary:Upstreams:demo:Credential"] = "ClientAssertion" }, s => s.AddSingleton<IClientAssertionProvider>(provider));

        var result = await services.GetRequiredService<ITokenProvider>().GetTokenAsync("demo", null, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal("demo", provider.LastUpstream);
    }

    [Fact]
    public async Task No_credential_means_no_token_and_no_request()
    {
        using var services = Build(new() { ["Intermediary:Upstreams:demo:Credential"] = "None" });

        var result = await services.GetRequiredService<ITokenProvider>().GetTokenAsync("demo", null, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Null(result.AccessToken);
        Assert.Equal(0, _simulator.TokenRequestCount);
    }

    private ServiceProvider Build(Dictionary<string, string?>? overrides = null, Action<IServiceCollection>? extra = null)
    {
        var settings = IntermediaryHost.UpstreamSettings(_simulator);
        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(_simulator.CreateTrustingHandler);
        extra?.Invoke(services);
        return services.BuildServiceProvider();
    }

    private static X509Certificate2 CreateClientCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=intermediary-test-client", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }


    private sealed class FixedAssertionProvider(string assertion) : IClientAssertionProvider
    {
        public string? LastUpstream { get; private set; }

        public Task<string> GetAssertionAsync(string upstream, CancellationToken cancellationToken)
        {
            LastUpstream = upstream;
            return Task.FromResult(assertion);
        }
    }
}
