using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Intermediary.Diagnostics;
using Intermediary.Endpoints;
using Intermediary.Jobs;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace Intermediary.Tests.Tokens;

/// <summary>Real MSAL against the simulator's token endpoint over HTTPS; only the counts are asserted.</summary>
public sealed class TokenProviderTests : IAsyncLifetime
{
    private const string AliceId = "a11ce000-0000-4000-8000-00000000a11c";
    private const string BobId = "b0b00000-0000-4000-8000-000000000b0b";
    private const string JobId = "0123456789abcdef0123456789abcdef";

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
    public async Task Rejecting_a_token_that_is_no_longer_current_gets_the_current_one_without_a_refresh()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();

        // A call that began with an earlier token reports its rejection after that token was replaced.
        var current = await tokens.GetTokenAsync("demo", "an-earlier-token-already-replaced", CancellationToken.None);
        var again = await tokens.GetTokenAsync("demo", "an-earlier-token-already-replaced", CancellationToken.None);

        Assert.True(current.Succeeded, current.Failure?.Message);
        Assert.Equal(current.AccessToken, again.AccessToken);
        Assert.Equal(1, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task A_forced_refresh_that_failed_is_tried_again_by_the_next_caller_rejecting_the_same_token()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();
        var stale = (await tokens.GetTokenAsync("demo", null, CancellationToken.None)).AccessToken;

        _simulator.SetTokenFault(new TokenFault(400, "invalid_request", "AADSTS90002: Tenant not found right now.", 90002));
        var failed = await tokens.GetTokenAsync("demo", stale, CancellationToken.None);
        _simulator.SetTokenFault(null);
        var retried = await tokens.GetTokenAsync("demo", stale, CancellationToken.None);

        Assert.Equal("AADSTS90002", failed.Failure?.ErrorCode);
        Assert.True(retried.Succeeded, retried.Failure?.Message);
        Assert.NotEqual(stale, retried.AccessToken);
        Assert.Equal(3, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task While_one_caller_forces_a_refresh_the_others_are_answered_from_the_cache_and_then_get_the_new_token()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();
        var stale = (await tokens.GetTokenAsync("demo", null, CancellationToken.None)).AccessToken;

        Task<TokenResult> refreshing;
        TokenResult meanwhile;
        using (_simulator.HoldTokenResponses())
        {
            refreshing = tokens.GetTokenAsync("demo", stale, CancellationToken.None);
            await Eventually.True(() => _simulator.TokenRequestCount == 2, "the forced refresh reached the simulator");
            // Not made to wait for the refresh (it would hang here until the hold ends, and fail on this timeout).
            meanwhile = await tokens.GetTokenAsync("demo", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(refreshing.IsCompleted);
        }

        var refreshed = await refreshing;
        var afterwards = await tokens.GetTokenAsync("demo", null, CancellationToken.None);

        Assert.Equal(stale, meanwhile.AccessToken);
        Assert.NotEqual(stale, refreshed.AccessToken);
        Assert.Equal(refreshed.AccessToken, afterwards.AccessToken);
        Assert.Equal(2, _simulator.TokenRequestCount);
    }

    [Theory]
    [InlineData(401, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the value.", "AADSTS7000215: Invalid client secret provided.", false)]
    [InlineData(400, "invalid_scope", 1002012, "AADSTS1002012: The provided value for scope x is not valid.", "AADSTS1002012: The provided value for scope x is not valid.", false)]
    [InlineData(429, "temporarily_unavailable", 90055, "AADSTS90055: Too many requests. Slow down.", "AADSTS90055: Too many requests.", true)]
    public async Task An_identity_provider_error_becomes_its_code_first_sentence_status_and_retryability(
        int status, string error, int aadsts, string description, string sentence, bool retryable)
    {
        using var logs = new CapturingLoggerProvider();
        using var services = Build(extra: s => s.AddLogging(builder => builder.AddProvider(logs)));
        var tokens = services.GetRequiredService<ITokenProvider>();
        _simulator.SetTokenFault(new TokenFault(status, error, description, aadsts));

        var result = await tokens.GetTokenAsync("demo", null, CancellationToken.None);

        Assert.Equal($"Could not get an access token from Microsoft Entra ID: {sentence}", result.Failure!.Message);
        Assert.Contains(logs.Lines, line => line.Contains($": Token request for upstream demo failed: AADSTS{aadsts} (HTTP {status}) |", StringComparison.Ordinal));
        Assert.Equal($"AADSTS{aadsts}", result.Failure.ErrorCode);
        Assert.Equal(status, result.Failure.HttpStatus);
        Assert.Equal(retryable, result.Failure.Retryable);
    }

    [Fact]
    public async Task A_server_error_from_the_identity_provider_is_retryable_with_msals_own_words()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();
        _simulator.SetTokenFault(new TokenFault(503, "temporarily_unavailable", "AADSTS50196: The server is busy. Try again later.", 50196));

        var result = await tokens.GetTokenAsync("demo", null, CancellationToken.None);

        // MSAL does not pass a 5xx body on: its own code and sentence are reported, on one line.
        Assert.True(result.Failure!.Retryable);
        Assert.Equal(503, result.Failure.HttpStatus);
        Assert.StartsWith("Could not get an access token from Microsoft Entra ID: Service is unavailable", result.Failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', result.Failure.Message);
        Assert.False(string.IsNullOrEmpty(result.Failure.ErrorCode));
    }

    [Fact]
    public async Task A_long_identity_provider_sentence_is_cut_at_300_characters()
    {
        using var services = Build();
        var tokens = services.GetRequiredService<ITokenProvider>();
        var description = "AADSTS9002313: " + new string('x', 400);
        _simulator.SetTokenFault(new TokenFault(400, "invalid_request", description, 9002313));

        var result = await tokens.GetTokenAsync("demo", null, CancellationToken.None);

        Assert.Equal("Could not get an access token from Microsoft Entra ID: " + description[..300] + "…", result.Failure!.Message);
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
    public async Task Certificate_credential_gets_a_token_with_the_certificate_in_its_assertion()
    {
        using var certificate = CreateClientCertificate();
        _simulator.Options.ClientCertificate = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        // Subject name and issuer registrations (the usual one for certificates from a CA) need the x5c header.
        _simulator.Options.RequireCertificateChain = true;
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

    [Fact]
    public async Task A_certificate_file_that_cannot_be_read_yet_is_tried_again_on_the_next_call()
    {
        using var file = new TemporaryCertificateFile();
        using var certificate = CreateClientCertificate();
        _simulator.Options.ClientCertificate = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        using var logs = new CapturingLoggerProvider();
        using var services = Build(
            new()
            {
                ["Intermediary:Upstreams:demo:Credential"] = "Certificate",
                ["Intermediary:Upstreams:demo:ClientSecret"] = null,
                ["Intermediary:Upstreams:demo:CertificatePath"] = file.Path,
                ["Intermediary:Upstreams:demo:CertificatePassword"] = "pfx-password",
            },
            s => s.AddLogging(builder => builder.AddProvider(logs)));
        var tokens = services.GetRequiredService<ITokenProvider>();

        var missing = await tokens.GetTokenAsync("demo", null, CancellationToken.None);
        await File.WriteAllBytesAsync(file.Path, certificate.Export(X509ContentType.Pfx, "pfx-password"));
        var loaded = await tokens.GetTokenAsync("demo", null, CancellationToken.None);

        Assert.Equal(
            "The certificate for upstream 'demo' could not be loaded; check its CertificatePath/CertificateBase64 and password.",
            missing.Failure?.Message);
        Assert.Equal(("CertificateLoadFailed", false), (missing.Failure!.ErrorCode, missing.Failure.Retryable));
        Assert.Contains(logs.Lines, line => line.Contains("Credential for upstream demo could not be loaded (", StringComparison.Ordinal));
        Assert.True(loaded.Succeeded, loaded.Failure?.Message);
        Assert.Equal(1, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task Upstreams_with_one_credential_share_its_token_but_client_assertions_are_asked_per_upstream()
    {
        var settings = SimulatorUpstream.Settings(_simulator, "other", "/items");
        using (var services = Build(settings))
        {
            var tokens = services.GetRequiredService<ITokenProvider>();
            var demo = await tokens.GetTokenAsync("demo", null, CancellationToken.None);
            var other = await tokens.GetTokenAsync("other", null, CancellationToken.None);

            Assert.Equal(demo.AccessToken, other.AccessToken);
            Assert.Equal(1, _simulator.TokenRequestCount);
        }

        _simulator.Options.FederatedAssertion = "federated-assertion-from-workload-identity";
        var provider = new FixedAssertionProvider("federated-assertion-from-workload-identity");
        settings["Intermediary:Upstreams:demo:Credential"] = "ClientAssertion";
        settings["Intermediary:Upstreams:other:Credential"] = "ClientAssertion";
        using (var services = Build(settings, s => s.AddSingleton<IClientAssertionProvider>(provider)))
        {
            var tokens = services.GetRequiredService<ITokenProvider>();
            await tokens.GetTokenAsync("demo", null, CancellationToken.None);
            await tokens.GetTokenAsync("other", null, CancellationToken.None);

            Assert.Equal(["demo", "other"], provider.Upstreams);
            Assert.Equal(3, _simulator.TokenRequestCount);
        }
    }

    [Fact]
    public async Task An_on_behalf_of_upstream_has_no_token_of_the_services_own_and_the_user_paths_need_one()
    {
        var settings = SimulatorUpstream.OnBehalfOfSettings(_simulator, "user", "/whoami");
        using var services = Build(settings, s => s.AddSingleton<IJobStore>(new InMemoryJobStore()));
        var tokens = services.GetRequiredService<ITokenProvider>();

        var own = await tokens.GetTokenAsync("user", null, CancellationToken.None);

        Assert.Equal(
            ("UserTokenRequired", TokenFailureKind.Unauthenticated, false),
            (own.Failure?.ErrorCode, own.Failure!.Kind, own.Failure.Retryable));
        Assert.Equal("Upstream 'user' is called on behalf of the signed-in user; this call carries no user.", own.Failure.Message);
        Assert.Equal(0, _simulator.TokenRequestCount);
        var user = Alice();
        var appOnly = await Assert.ThrowsAsync<ArgumentException>(() => tokens.GetUserTokenAsync("demo", user, CancellationToken.None));
        Assert.Contains("Upstream 'demo' is not configured with Credential OnBehalfOf.", appOnly.Message, StringComparison.Ordinal);
        var unknown = await Assert.ThrowsAsync<ArgumentException>(() => tokens.GetTokenAsync("nowhere", null, CancellationToken.None));
        Assert.StartsWith("Upstream 'nowhere' is not configured.", unknown.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => tokens.StartUserSessionAsync("nowhere", user, "job", CancellationToken.None));
    }

    [Theory]
    [InlineData("CertificatePath")]
    [InlineData("CertificateBase64")]
    public async Task An_on_behalf_of_upstream_with_a_certificate_exchanges_with_it(string where)
    {
        using var certificate = CreateClientCertificate();
        var pfx = certificate.Export(X509ContentType.Pfx, "pfx-password");
        _simulator.Options.ClientCertificate = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        _simulator.Options.RequireCertificateChain = true;
        using var file = new TemporaryCertificateFile();
        await File.WriteAllBytesAsync(file.Path, pfx);
        var settings = OnBehalfOfWithCertificate(where == "CertificatePath" ? file.Path : null, where == "CertificateBase64" ? Convert.ToBase64String(pfx) : null);
        using var services = Build(settings, s => s.AddSingleton<IJobStore>(new InMemoryJobStore()));

        var result = await services.GetRequiredService<ITokenProvider>().GetUserTokenAsync("user", Alice(), CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(1, _simulator.UserTokenExchanges);
    }

    [Fact]
    public async Task An_on_behalf_of_certificate_that_cannot_be_read_yet_fails_every_user_path_clearly_and_is_tried_again()
    {
        using var certificate = CreateClientCertificate();
        _simulator.Options.ClientCertificate = X509CertificateLoader.LoadCertificate(certificate.Export(X509ContentType.Cert));
        using var file = new TemporaryCertificateFile();
        using var services = Build(OnBehalfOfWithCertificate(file.Path, null), s => s.AddSingleton<IJobStore>(new InMemoryJobStore()));
        var tokens = services.GetRequiredService<ITokenProvider>();
        var alice = Alice();

        var exchanged = await tokens.GetUserTokenAsync("user", alice, CancellationToken.None);
        var started = await tokens.StartUserSessionAsync("user", alice, JobId, CancellationToken.None);
        var continued = await tokens.GetSessionTokenAsync("user", JobId, CancellationToken.None);
        await tokens.EndUserSessionAsync("user", JobId);
        await File.WriteAllBytesAsync(file.Path, certificate.Export(X509ContentType.Pfx, "pfx-password"));
        var loaded = await tokens.GetUserTokenAsync("user", alice, CancellationToken.None);

        Assert.All([exchanged, started, continued], r => Assert.Equal(("CertificateLoadFailed", false), (r.Failure?.ErrorCode, r.Failure?.Retryable)));
        Assert.True(loaded.Succeeded, loaded.Failure?.Message);
        Assert.Equal(1, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task User_token_exchanges_are_counted_by_where_they_came_from_and_a_refused_one_is_logged_with_its_code()
    {
        using var logs = new CapturingLoggerProvider();
        using var services = Build(
            SimulatorUpstream.OnBehalfOfSettings(_simulator, "user", "/whoami"),
            s => s.AddSingleton<IJobStore>(new InMemoryJobStore()).AddLogging(builder => builder.AddProvider(logs)));
        using var acquisitions = new MetricCollector<long>(services.GetRequiredService<IMeterFactory>(), IntermediaryDiagnostics.Name, "intermediary.tokens.acquisitions");
        var tokens = services.GetRequiredService<ITokenProvider>();
        var alice = Alice();

        await tokens.GetUserTokenAsync("user", alice, CancellationToken.None);
        await tokens.GetUserTokenAsync("user", alice, CancellationToken.None);
        _simulator.ScriptUser("bob", UserChallenge.ConsentRequired);
        var refused = await tokens.GetUserTokenAsync("user", new ValidatedUser(BobId, _simulator.Options.TenantId, _simulator.IssueUserToken("bob")), CancellationToken.None);

        Assert.Equal("AADSTS65001", refused.Failure?.ErrorCode);
        Assert.Equal(
            [("user", "identity_provider"), ("user", "cache"), ("user", "failed")],
            acquisitions.GetMeasurementSnapshot().Select(m => ((string)m.Tags["upstream"]!, (string)m.Tags["source"]!)));
        Assert.Contains(logs.Lines, line => line.Contains(": Token exchange on behalf of a user for upstream user failed: ", StringComparison.Ordinal) && line.Contains(" AADSTS65001 |", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_authority_outside_microsofts_clouds_is_asked_for_tokens_directly_without_instance_discovery()
    {
        // The simulator here; a sovereign or private authority in production. Entra's instance discovery does not
        // know it, so asking it first would fail every token request.
        var network = new ScriptedHandler((_, _, _) => throw new HttpRequestException("This test has no network."));
        using var services = Build(extra: s => s.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(() => network));

        var result = await services.GetRequiredService<ITokenProvider>().GetTokenAsync("demo", null, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(new Uri(_simulator.Authority, "oauth2/v2.0/token"), Assert.Single(network.Requests).Uri);
    }

    private ValidatedUser Alice() => new(AliceId, _simulator.Options.TenantId, _simulator.IssueUserToken("alice"));

    private Dictionary<string, string?> OnBehalfOfWithCertificate(string? path, string? base64)
    {
        var settings = SimulatorUpstream.OnBehalfOfSettings(_simulator, "user", "/whoami");
        settings["Intermediary:Upstreams:user:ClientSecret"] = null;
        settings["Intermediary:Upstreams:user:CertificatePath"] = path;
        settings["Intermediary:Upstreams:user:CertificateBase64"] = base64;
        settings["Intermediary:Upstreams:user:CertificatePassword"] = "pfx-password";
        return settings;
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
        public ConcurrentQueue<string> Upstreams { get; } = new();

        public string? LastUpstream => Upstreams.LastOrDefault();

        public Task<string> GetAssertionAsync(string upstream, CancellationToken cancellationToken)
        {
            Upstreams.Enqueue(upstream);
            return Task.FromResult(assertion);
        }
    }

    /// <summary>A path for a certificate file that a test writes (or leaves missing); deleted afterwards.</summary>
    private sealed class TemporaryCertificateFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"intermediary-test-{Guid.NewGuid():N}.pfx");

        public void Dispose() => File.Delete(Path);
    }
}
