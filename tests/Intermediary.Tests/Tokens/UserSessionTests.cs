using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Intermediary.Jobs;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Intermediary.Tests.Tokens;

/// <summary>
/// Jobs' long-running on-behalf-of sessions and the bounded user token cache, through the token provider with real
/// MSAL against the simulator. Each "instance" is its own service provider (its own MSAL app and memory) sharing one
/// job store, as instances share the storage account.
/// </summary>
public sealed class UserSessionTests : IAsyncLifetime
{
    private const string AliceId = "a11ce000-0000-4000-8000-00000000a11c";
    private const string JobId = "0123456789abcdef0123456789abcdef";
    private readonly TestClock _clock = new();
    private readonly InMemoryJobStore _store = new();
    private readonly List<ServiceProvider> _instances = [];
    private ApimSimulator _simulator = null!;

    // Tokens live 4 minutes, inside MSAL's five-minute margin: every token from a session is a refresh.
    public async Task InitializeAsync() =>
        _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock, TokenLifetime = TimeSpan.FromMinutes(4) });

    public async Task DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task A_session_started_on_one_instance_is_continued_by_another_and_back()
    {
        var first = Instance();
        var second = Instance();

        var started = await first.StartUserSessionAsync("user", Alice(), JobId, CancellationToken.None);
        var onSecond = await second.GetSessionTokenAsync("user", JobId, CancellationToken.None);
        var backOnFirst = await first.GetSessionTokenAsync("user", JobId, CancellationToken.None);

        Assert.True(started.Succeeded, started.Failure?.Message);
        Assert.True(onSecond.Succeeded, onSecond.Failure?.Message);
        Assert.Contains(AliceId, SimulatorMsal.Payload(onSecond.AccessToken!), StringComparison.Ordinal);
        // Refresh tokens rotate on every use: the first instance can only have succeeded with the one the second stored.
        Assert.True(backOnFirst.Succeeded, backOnFirst.Failure?.Message);
        Assert.Equal(2, _simulator.UserTokenRefreshes);
    }

    [Fact]
    public async Task A_kept_session_is_sealed_and_bound_to_its_job()
    {
        var instance = Instance();
        Assert.True((await instance.StartUserSessionAsync("user", Alice(), JobId, CancellationToken.None)).Succeeded);
        var sealedSession = (await _store.ReadSessionAsync(JobId, CancellationToken.None))!;
        const string OtherJob = "fedcba9876543210fedcba9876543210";
        await _store.WriteSessionAsync(OtherJob, sealedSession, CancellationToken.None);

        var moved = await instance.GetSessionTokenAsync("user", OtherJob, CancellationToken.None);
        var altered = (byte[])sealedSession.Clone();
        altered[^1] ^= 1;
        await _store.WriteSessionAsync(JobId, altered, CancellationToken.None);
        var tampered = await instance.GetSessionTokenAsync("user", JobId, CancellationToken.None);

        var text = Encoding.UTF8.GetString(sealedSession);
        Assert.DoesNotContain("sim-rt.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", text, StringComparison.Ordinal);
        Assert.DoesNotContain(AliceId, text, StringComparison.Ordinal);
        Assert.Equal((TokenFailureKind.Unauthenticated, "UserSessionEnded"), (moved.Failure!.Kind, moved.Failure.ErrorCode));
        Assert.Equal((TokenFailureKind.Unauthenticated, "UserSessionEnded"), (tampered.Failure!.Kind, tampered.Failure.ErrorCode));
        Assert.Equal(0, _simulator.UserTokenRefreshes);
    }

    [Fact]
    public async Task An_instance_with_another_credential_cannot_read_a_session()
    {
        Assert.True((await Instance().StartUserSessionAsync("user", Alice(), JobId, CancellationToken.None)).Succeeded);
        var requests = _simulator.TokenRequestCount;

        var rotated = await Instance(new() { ["Intermediary:Upstreams:user:ClientSecret"] = "rotated-secret-placeholder" })
            .GetSessionTokenAsync("user", JobId, CancellationToken.None);

        Assert.Equal("UserSessionEnded", rotated.Failure!.ErrorCode);
        Assert.StartsWith("Could not get an access token on behalf of the job's user: ", rotated.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("starts the job again", rotated.Failure.Message, StringComparison.Ordinal);
        Assert.Equal(requests, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task Ending_a_session_removes_what_was_kept()
    {
        var instance = Instance();
        Assert.True((await instance.StartUserSessionAsync("user", Alice(), JobId, CancellationToken.None)).Succeeded);

        await instance.EndUserSessionAsync("user", JobId);
        var afterwards = await instance.GetSessionTokenAsync("user", JobId, CancellationToken.None);

        Assert.Null(await _store.ReadSessionAsync(JobId, CancellationToken.None));
        // Asking again cannot help: the user starts the job again.
        Assert.Equal(("UserSessionEnded", false, TokenFailureKind.Unauthenticated), (afterwards.Failure!.ErrorCode, afterwards.Failure.Retryable, afterwards.Failure.Kind));
    }

    [Fact]
    public async Task An_unreachable_session_store_fails_the_start_as_retryable_and_ending_does_not_throw()
    {
        using var logs = new CapturingLoggerProvider();
        var instance = Instance(extra: services => services
            .AddSingleton<IUserSessionStore>(new UnreachableStore())
            .AddLogging(builder => builder.AddProvider(logs)));

        var started = await instance.StartUserSessionAsync("user", Alice(), JobId, CancellationToken.None);
        await instance.EndUserSessionAsync("user", JobId);

        Assert.Equal(("UserSessionUnavailable", true, TokenFailureKind.TokenAcquisitionFailed),
            (started.Failure!.ErrorCode, started.Failure.Retryable, started.Failure.Kind));
        Assert.Equal(
            "Could not start acting on behalf of the user for the job: the store that keeps the user's session could not be reached.",
            started.Failure.Message);
        Assert.Contains(logs.Lines, line => line.Contains(
            ": A job's user session for upstream user could not be ended now (HttpRequestException); it goes with the job |", StringComparison.Ordinal));
        Assert.DoesNotContain("storage.example", started.Failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData("1", 2)]
    public async Task Exchanged_tokens_are_kept_in_memory_only_within_the_configured_bytes(string? cacheBytes, int exchanges)
    {
        // Tokens MSAL would serve from its cache for an hour, if it still has them.
        _simulator.Options.TokenLifetime = TimeSpan.FromHours(1);
        var instance = Instance(cacheBytes is null ? [] : new() { ["Intermediary:UserTokens:CacheBytes"] = cacheBytes });
        var alice = Alice();

        var first = await instance.GetUserTokenAsync("user", alice, CancellationToken.None);
        var second = await instance.GetUserTokenAsync("user", alice, CancellationToken.None);

        Assert.True(first.Succeeded && second.Succeeded);
        Assert.Equal(exchanges, _simulator.UserTokenExchanges);
    }

    [Fact]
    public void Sealing_never_repeats_a_nonce_and_opens_only_for_the_same_key_session_and_bytes()
    {
        var protector = UserSessionProtector.FromSecret("secret-placeholder", "tenant", "client");
        byte[] state = [1, 2, 3, 4, 5];

        var first = protector.Seal("obo:a", state);
        var second = protector.Seal("obo:a", state);

        Assert.NotEqual(first.AsSpan(1, 12).ToArray(), second.AsSpan(1, 12).ToArray());
        Assert.Equal(state, protector.Unseal("obo:a", first));
        Assert.Equal(state, protector.Unseal("obo:a", second));
        Assert.Null(protector.Unseal("obo:b", first));
        Assert.Null(UserSessionProtector.FromSecret("secret-placeholder", "tenant", "other-client").Unseal("obo:a", first));
        Assert.Null(UserSessionProtector.FromSecret("secret-placeholder", "other-tenant", "client").Unseal("obo:a", first));
        Assert.Null(UserSessionProtector.FromSecret("other-secret", "tenant", "client").Unseal("obo:a", first));
        var altered = (byte[])first.Clone();
        altered[^1] ^= 1;
        Assert.Null(protector.Unseal("obo:a", altered));
        var otherVersion = (byte[])first.Clone();
        otherVersion[0] = 2;
        Assert.Null(protector.Unseal("obo:a", otherVersion));
        Assert.Null(protector.Unseal("obo:a", []));
        Assert.Null(protector.Unseal("obo:a", first[..28]));
        Assert.Empty(protector.Unseal("obo:a", protector.Seal("obo:a", []))!);
    }

    [Fact]
    public void A_certificate_credential_seals_the_same_way_on_every_instance_and_differently_from_another()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=intermediary-session-test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var pfx = created.Export(X509ContentType.Pkcs12);
        using var onOneInstance = X509CertificateLoader.LoadPkcs12(pfx, null);
        using var onAnother = X509CertificateLoader.LoadPkcs12(pfx, null);
        using var otherKey = RSA.Create(2048);
        using var other = new CertificateRequest("CN=intermediary-session-test", otherKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));

        var sealedSession = UserSessionProtector.FromCertificate(onOneInstance, "tenant", "client").Seal("obo:a", [7, 8, 9]);

        Assert.Equal(new byte[] { 7, 8, 9 }, UserSessionProtector.FromCertificate(onAnother, "tenant", "client").Unseal("obo:a", sealedSession));
        Assert.Null(UserSessionProtector.FromCertificate(other, "tenant", "client").Unseal("obo:a", sealedSession));
        using var publicOnly = X509CertificateLoader.LoadCertificate(created.Export(X509ContentType.Cert));
        Assert.Throws<CryptographicException>(() => UserSessionProtector.FromCertificate(publicOnly, "tenant", "client"));
    }

    private ValidatedUser Alice() => new(AliceId, _simulator.Options.TenantId, _simulator.IssueUserToken("alice"));

    private ITokenProvider Instance(Dictionary<string, string?>? overrides = null, Action<IServiceCollection>? extra = null)
    {
        var settings = SimulatorUpstream.OnBehalfOfSettings(_simulator, "user", "/whoami");
        foreach (var (key, value) in overrides ?? [])
        {
            settings[key] = value;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddHttpClient(Intermediary.Endpoints.IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(_simulator.CreateTrustingHandler);
        services.AddSingleton<IJobStore>(_store);
        extra?.Invoke(services);
        var provider = services.BuildServiceProvider();
        _instances.Add(provider);
        return provider.GetRequiredService<ITokenProvider>();
    }

    private sealed class UnreachableStore : IUserSessionStore
    {
        public Task<byte[]?> ReadSessionAsync(string jobId, CancellationToken cancellationToken) =>
            throw new HttpRequestException("storage.example is unreachable");

        public Task WriteSessionAsync(string jobId, byte[] sealedSession, CancellationToken cancellationToken) =>
            throw new HttpRequestException("storage.example is unreachable");

        public Task DeleteSessionAsync(string jobId, CancellationToken cancellationToken) =>
            throw new HttpRequestException("storage.example is unreachable");
    }
}
