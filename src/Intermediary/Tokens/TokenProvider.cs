using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Azure.Core;
using Intermediary.Configuration;
using Intermediary.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Intermediary.Tokens;

/// <summary>
/// Tokens for every configured upstream: one MSAL app (or managed identity credential) per credential, kept for
/// the process lifetime so its in-memory cache works, behind a single-flight guard so a stampede of cold callers
/// causes one token request. The token last handed out per upstream is reused without entering MSAL until its
/// refresh point (MSAL's RefreshOn, else five minutes before expiry, where MSAL itself stops serving it): MSAL stays
/// the source of truth for caching and refresh, and is asked again from then on.
/// </summary>
internal sealed partial class TokenProvider(
    IOptions<IntermediaryOptions> options,
    IHttpClientFactory httpClientFactory,
    IServiceProvider services,
    IntermediaryMetrics metrics,
    TimeProvider time,
    ILogger<TokenProvider> logger) : ITokenProvider
{
    /// <summary>MSAL treats a token this close to expiry as expired; the fast path stops earlier still.</summary>
    internal static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    private static readonly HashSet<string> s_microsoftAuthorityHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        "login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
    };

    private readonly ConcurrentDictionary<string, Lazy<ITokenSource>> _sources = new();
    private readonly TokenFlights _flights = new();

    // The token to reuse per upstream, and until when.
    private readonly ConcurrentDictionary<string, HeldToken> _held = new(StringComparer.Ordinal);

    // On-behalf-of exchanges, one MSAL app per credential: never the per-upstream held token above, which is the app's own.
    private readonly ConcurrentDictionary<string, Lazy<OnBehalfOfTokenSource>> _userSources = new();

    public async Task<TokenResult> GetUserTokenAsync(string upstream, ValidatedUser user, CancellationToken cancellationToken)
    {
        var (source, scope, failure) = UserSource(upstream);
        return failure ?? Counted(upstream, await source!.AcquireAsync(scope!, user, cancellationToken));
    }

    public async Task<TokenResult> StartUserSessionAsync(string upstream, ValidatedUser user, string jobId, CancellationToken cancellationToken)
    {
        var (source, scope, failure) = UserSource(upstream);
        return failure ?? Counted(upstream, await source!.StartSessionAsync(scope!, user, jobId).WaitAsync(cancellationToken));
    }

    public async Task<TokenResult> GetSessionTokenAsync(string upstream, string jobId, CancellationToken cancellationToken)
    {
        var (source, scope, failure) = UserSource(upstream);
        return failure ?? Counted(upstream, await source!.AcquireForSessionAsync(scope!, jobId).WaitAsync(cancellationToken));
    }

    public async Task EndUserSessionAsync(string upstream, string jobId)
    {
        if (UserSource(upstream).Source is { } source)
        {
            try
            {
                await source.EndSessionAsync(jobId);
            }
            catch (UserSessionUnavailableException ex)
            {
                // The stored session goes with the job when the job is purged.
                LogSessionNotEnded(logger, upstream, ex.InnerException!.GetType().Name);
            }
        }
    }

    private (OnBehalfOfTokenSource? Source, string? Scope, TokenResult? Failure) UserSource(string upstream)
    {
        if (!options.Value.Upstreams.TryGetValue(upstream, out var settings) || settings.Credential != CredentialType.OnBehalfOf)
        {
            throw new ArgumentException($"Upstream '{upstream}' is not configured with Credential OnBehalfOf.", nameof(upstream));
        }

        var sourceKey = SourceKey(upstream, settings);
        try
        {
            var source = _userSources.GetOrAdd(sourceKey, _ => new Lazy<OnBehalfOfTokenSource>(() => CreateUserSource(upstream, settings))).Value;
            return (source, settings.Scope, null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or FormatException or UnauthorizedAccessException)
        {
            _userSources.TryRemove(sourceKey, out _);
            return (null, null, CredentialLoadFailed(upstream, ex));
        }
    }

    private OnBehalfOfTokenSource CreateUserSource(string upstream, UpstreamOptions settings)
    {
        var application = CreateApplication(upstream, settings);
        UserSessionProtector protector;
        if (HasCertificate(settings))
        {
            // Only its private key is used, once, to derive the sealing key.
            using var certificate = LoadCertificate(settings);
            protector = UserSessionProtector.FromCertificate(certificate, settings.TenantId!, settings.ClientId!);
        }
        else
        {
            protector = UserSessionProtector.FromSecret(settings.ClientSecret!, settings.TenantId!, settings.ClientId!);
        }

        var sessions = services.GetService<IUserSessionStore>()
            ?? throw new InvalidOperationException("On-behalf-of upstreams need an IUserSessionStore (the job store provides it).");
        new UserTokenCache(sessions, protector, options.Value.UserTokens.CacheBytes).Attach(application.UserTokenCache);
        return new OnBehalfOfTokenSource(application);
    }

    private TokenResult Counted(string upstream, TokenResult result)
    {
        if (result.Failure is { } failure)
        {
            LogUserTokenFailed(logger, upstream, failure.Kind, failure.ErrorCode ?? "unknown");
        }

        metrics.TokenAcquired(upstream, result.Failure is not null ? "failed" : result.FromCache ? "cache" : "identity_provider");
        return result;
    }

    public Task<TokenResult> GetTokenAsync(string upstream, string? rejectedToken, CancellationToken cancellationToken)
    {
        if (_held.TryGetValue(upstream, out var held))
        {
            if (rejectedToken is null && time.GetUtcNow() < held.FreshUntil)
            {
                return held.Task;
            }

            if (rejectedToken is not null && string.Equals(held.Result.AccessToken, rejectedToken, StringComparison.Ordinal))
            {
                _held.TryRemove(KeyValuePair.Create(upstream, held));
            }
        }

        return AcquireAndHoldAsync(upstream, rejectedToken, cancellationToken);
    }

    private async Task<TokenResult> AcquireAndHoldAsync(string upstream, string? rejectedToken, CancellationToken cancellationToken)
    {
        var result = await GetFromSourceAsync(upstream, rejectedToken, cancellationToken);
        if (result is { Succeeded: true, AccessToken: not null, ExpiresOn: { } expires })
        {
            var candidate = new HeldToken(result, HeldUntil(expires, result.RefreshOn));
            _held.AddOrUpdate(upstream, candidate, (_, current) => Keep(current, candidate, rejectedToken));
        }

        return result;
    }

    /// <summary>Reused until MSAL's refresh time, or until MSAL itself would stop serving it, whichever is first.</summary>
    internal static DateTimeOffset HeldUntil(DateTimeOffset expiresOn, DateTimeOffset? refreshOn) =>
        refreshOn is { } refresh && refresh < expiresOn - ExpiryMargin ? refresh : expiresOn - ExpiryMargin;

    /// <summary>
    /// Which token to hold when a new one arrives: a slower caller must not put back an older token than the one
    /// held (e.g. after a forced refresh), unless the held one is the token the upstream just rejected.
    /// </summary>
    internal static HeldToken Keep(HeldToken current, HeldToken candidate, string? rejectedToken) =>
        current.Result.ExpiresOn > candidate.Result.ExpiresOn && !string.Equals(current.Result.AccessToken, rejectedToken, StringComparison.Ordinal)
            ? current
            : candidate;

    private async Task<TokenResult> GetFromSourceAsync(string upstream, string? rejectedToken, CancellationToken cancellationToken)
    {
        if (!options.Value.Upstreams.TryGetValue(upstream, out var settings))
        {
            throw new ArgumentException($"Upstream '{upstream}' is not configured.", nameof(upstream));
        }

        if (settings.Credential == CredentialType.None)
        {
            return TokenResult.CredentialNotNeeded;
        }

        if (settings.Credential == CredentialType.OnBehalfOf)
        {
            // Only a user's call has a token to exchange; the service has none of its own for this upstream.
            return new TokenResult(null, new TokenFailure(
                $"Upstream '{upstream}' is called on behalf of the signed-in user; this call carries no user.", "UserTokenRequired", null, false)
            {
                Kind = TokenFailureKind.Unauthenticated,
            });
        }

        var scope = settings.Scope!;
        var sourceKey = SourceKey(upstream, settings);
        ITokenSource source;
        try
        {
            source = _sources.GetOrAdd(sourceKey, _ => new Lazy<ITokenSource>(() => CreateSource(upstream, settings))).Value;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or FormatException or UnauthorizedAccessException)
        {
            _sources.TryRemove(sourceKey, out _);
            return CredentialLoadFailed(upstream, ex);
        }

        return await _flights.GetAsync(sourceKey, scope, rejectedToken, (requested, force) => Acquire(upstream, source, requested, force), cancellationToken);
    }

    private async Task<TokenResult> Acquire(string upstream, ITokenSource source, string scope, bool force)
    {
        if (force)
        {
            LogForcedRefresh(logger, upstream);
        }

        var result = await source.AcquireAsync(scope, force);
        if (result.Failure is { } failure)
        {
            LogTokenFailed(logger, upstream, failure.ErrorCode ?? "unknown", failure.HttpStatus);
        }

        metrics.TokenAcquired(upstream, result.Failure is not null ? "failed" : result.FromCache ? "cache" : "identity_provider");
        return result;
    }

    private TokenResult CredentialLoadFailed(string upstream, Exception ex)
    {
        LogCredentialLoadFailed(logger, upstream, ex.GetType().Name);
        return new TokenResult(null, new TokenFailure(
            $"The certificate for upstream '{upstream}' could not be loaded; check its CertificatePath/CertificateBase64 and password.",
            "CertificateLoadFailed", null, false));
    }

    private ITokenSource CreateSource(string upstream, UpstreamOptions settings) =>
        settings.Credential == CredentialType.ManagedIdentity
            ? new ManagedIdentityTokenSource(ManagedIdentities.For(settings.ManagedIdentityClientId))
            : new MsalTokenSource(CreateApplication(upstream, settings));

    private IConfidentialClientApplication CreateApplication(string upstream, UpstreamOptions settings)
    {
        var authority = new Uri(settings.AuthorityHost, settings.TenantId!.Trim('/') + "/");
        var builder = ConfidentialClientApplicationBuilder.Create(settings.ClientId)
            .WithHttpClientFactory(new MsalHttpClientFactory(httpClientFactory));

        builder = s_microsoftAuthorityHosts.Contains(authority.Host)
            ? builder.WithAuthority(authority.AbsoluteUri)
            // Sovereign or private authorities (and the simulator) are not in Entra's instance discovery list.
            : builder.WithAuthority(authority.AbsoluteUri, validateAuthority: false).WithInstanceDiscovery(false);

        builder = settings.Credential switch
        {
            CredentialType.ClientSecret => builder.WithClientSecret(settings.ClientSecret),
            CredentialType.Certificate => builder.WithCertificate(LoadCertificate(settings), sendX5C: true),
            CredentialType.ClientAssertion => builder.WithClientAssertion(
                (AssertionRequestOptions request) => AssertionProvider().GetAssertionAsync(upstream, request.CancellationToken)),
            CredentialType.FederatedManagedIdentity => builder.WithClientAssertion(
                FederatedAssertion(ManagedIdentities.For(settings.ManagedIdentityClientId), settings.FederatedTokenAudience)),
            // The service's own credential for the exchange: its certificate when one is configured, else its secret.
            CredentialType.OnBehalfOf when HasCertificate(settings) => builder.WithCertificate(LoadCertificate(settings), sendX5C: true),
            CredentialType.OnBehalfOf => builder.WithClientSecret(settings.ClientSecret),
            _ => throw new InvalidOperationException($"Credential type {settings.Credential} does not use MSAL."),
        };

        return builder.Build();
    }

    private static bool HasCertificate(UpstreamOptions settings) =>
        !string.IsNullOrWhiteSpace(settings.CertificatePath) || !string.IsNullOrWhiteSpace(settings.CertificateBase64);

    private IClientAssertionProvider AssertionProvider() =>
        services.GetService<IClientAssertionProvider>()
        ?? throw new InvalidOperationException("Credential=ClientAssertion needs an IClientAssertionProvider registered in DI.");

    private static Func<AssertionRequestOptions, Task<string>> FederatedAssertion(TokenCredential identity, string audience) =>
        async request =>
        {
            var token = await identity.GetTokenAsync(new TokenRequestContext([audience]), request.CancellationToken);
            return token.Token;
        };

    private static X509Certificate2 LoadCertificate(UpstreamOptions settings) =>
        string.IsNullOrWhiteSpace(settings.CertificateBase64)
            ? X509CertificateLoader.LoadPkcs12FromFile(settings.CertificatePath!, settings.CertificatePassword)
            : X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(settings.CertificateBase64), settings.CertificatePassword);

    /// <summary>Upstreams with the same credential share one MSAL app (and so one cache); secrets appear only hashed.</summary>
    private static string SourceKey(string upstream, UpstreamOptions settings)
    {
        var material = string.Join('|',
            settings.Credential, settings.AuthorityHost, settings.TenantId, settings.ClientId, settings.ClientSecret,
            settings.CertificatePath, settings.CertificateBase64, settings.ManagedIdentityClientId,
            settings.Credential == CredentialType.ClientAssertion ? upstream : "");
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(material)));
    }

    /// <summary>A token handed out before, its task ready to return again, and the time it stops being reused.</summary>
    internal sealed record HeldToken(TokenResult Result, DateTimeOffset FreshUntil)
    {
        public Task<TokenResult> Task { get; } = System.Threading.Tasks.Task.FromResult(Result);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Token request for upstream {Upstream} failed: {ErrorCode} (HTTP {HttpStatus})")]
    private static partial void LogTokenFailed(ILogger logger, string upstream, string errorCode, int? httpStatus);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Token exchange on behalf of a user for upstream {Upstream} failed: {Kind} {ErrorCode}")]
    private static partial void LogUserTokenFailed(ILogger logger, string upstream, TokenFailureKind kind, string errorCode);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "A job's user session for upstream {Upstream} could not be ended now ({ExceptionType}); it goes with the job")]
    private static partial void LogSessionNotEnded(ILogger logger, string upstream, string exceptionType);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Upstream {Upstream} rejected a cached token; forcing one refresh")]
    private static partial void LogForcedRefresh(ILogger logger, string upstream);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Credential for upstream {Upstream} could not be loaded ({ExceptionType})")]
    private static partial void LogCredentialLoadFailed(ILogger logger, string upstream, string exceptionType);
}
