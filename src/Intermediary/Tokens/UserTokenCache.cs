using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Identity.Client;

namespace Intermediary.Tokens;

/// <summary>
/// Where jobs' long-running on-behalf-of sessions are kept (sealed by <see cref="UserSessionProtector"/>), so that
/// whichever instance runs a job can go on acting for its user. The job store provides it: a session lives and is
/// purged with its job.
/// </summary>
internal interface IUserSessionStore
{
    Task<byte[]?> ReadSessionAsync(string jobId, CancellationToken cancellationToken);

    Task WriteSessionAsync(string jobId, byte[] sealedSession, CancellationToken cancellationToken);

    Task DeleteSessionAsync(string jobId, CancellationToken cancellationToken);
}

/// <summary>The session store could not be reached; the acquisition fails as retryable instead of losing the session.</summary>
internal sealed class UserSessionUnavailableException(Exception inner)
    : Exception("The store that keeps users' sessions for jobs could not be reached.", inner);

/// <summary>
/// MSAL's user token cache for one on-behalf-of app, serialized by partition. A job's long-running session
/// (partition <c>obo:{jobId}</c>, holding the user's refresh token) is read from and written to the job store,
/// sealed, on every access, so another instance can continue the job and no instance serves a stale copy. Every
/// other partition is one user token's exchanged tokens, kept in a size-limited memory cache: bounded however many
/// users call.
/// </summary>
internal sealed class UserTokenCache(IUserSessionStore sessions, UserSessionProtector protector, long memoryBytes) : IDisposable
{
    private const string SessionPrefix = "obo:";

    private readonly MemoryCache _recent = new(new MemoryCacheOptions { SizeLimit = memoryBytes, CompactionPercentage = 0.25 });

    /// <summary>The MSAL session key of a job's long-running session: derived from the job id, never from user data.</summary>
    public static string SessionKeyFor(string jobId) => SessionPrefix + jobId;

    public void Attach(ITokenCache cache)
    {
        cache.SetBeforeAccessAsync(BeforeAccessAsync);
        cache.SetAfterAccessAsync(AfterAccessAsync);
    }

    /// <summary>Partitions held in memory now (for tests of the bound).</summary>
    internal int RecentCount => _recent.Count;

    public void Dispose() => _recent.Dispose();

    private async Task BeforeAccessAsync(TokenCacheNotificationArgs args)
    {
        if (args.SuggestedCacheKey is not { } key)
        {
            return;
        }

        byte[]? state;
        if (JobOf(key) is { } jobId)
        {
            byte[]? stored = null;
            await Guard(async () => stored = await sessions.ReadSessionAsync(jobId, args.CancellationToken));
            // Sealed under another credential (rotated since), or altered: as if there were no session.
            state = stored is null ? null : protector.Unseal(key, stored);
        }
        else
        {
            state = _recent.Get<byte[]>(key);
        }

        args.TokenCache.DeserializeMsalV3(state, shouldClearExistingCache: true);
    }

    private async Task AfterAccessAsync(TokenCacheNotificationArgs args)
    {
        if (!args.HasStateChanged || args.SuggestedCacheKey is not { } key)
        {
            return;
        }

        if (JobOf(key) is { } jobId)
        {
            await Guard(() => args.HasTokens
                ? sessions.WriteSessionAsync(jobId, protector.Seal(key, args.TokenCache.SerializeMsalV3()), args.CancellationToken)
                : sessions.DeleteSessionAsync(jobId, args.CancellationToken));
            return;
        }

        if (!args.HasTokens)
        {
            _recent.Remove(key);
            return;
        }

        var state = args.TokenCache.SerializeMsalV3();
        _recent.Set(key, state, new MemoryCacheEntryOptions
        {
            Size = state.Length,
            // MSAL's own estimate of when nothing in the partition is usable any more.
            AbsoluteExpiration = args.SuggestedCacheExpiry ?? DateTimeOffset.UtcNow.AddHours(1),
        });
    }

    private static string? JobOf(string key) =>
        key.StartsWith(SessionPrefix, StringComparison.Ordinal) ? key[SessionPrefix.Length..] : null;

    private static async Task Guard(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or MsalException))
        {
            throw new UserSessionUnavailableException(ex);
        }
    }
}

/// <summary>
/// Seals sessions at rest with AES-GCM under a key derived (HKDF-SHA256) from this service's own credential for the
/// exchange, so every instance with the credential can read them and nobody with only storage access can: a refresh
/// token in a session acts for its user. The session key is bound in as associated data, so a sealed session cannot
/// be moved to another job. Rotating the credential ends the sessions sealed under the old one.
/// </summary>
internal sealed class UserSessionProtector
{
    private const byte Version = 1;
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private static readonly byte[] s_label = Encoding.UTF8.GetBytes("intermediary user sessions v1");

    private readonly byte[] _key;

    private UserSessionProtector(byte[] key) => _key = key;

    /// <summary>From a client secret.</summary>
    public static UserSessionProtector FromSecret(string secret, string tenantId, string clientId) =>
        new(Derive(Encoding.UTF8.GetBytes(secret), tenantId, clientId));

    /// <summary>From a certificate's private key: its PKCS#1 v1.5 signature of a fixed label, which is deterministic.</summary>
    public static UserSessionProtector FromCertificate(X509Certificate2 certificate, string tenantId, string clientId)
    {
        using var rsa = certificate.GetRSAPrivateKey()
            ?? throw new CryptographicException("The certificate has no RSA private key to seal users' sessions with.");
        return new(Derive(rsa.SignData(s_label, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), tenantId, clientId));
    }

    public byte[] Seal(string sessionKey, byte[] state)
    {
        var sealedState = new byte[1 + NonceBytes + TagBytes + state.Length];
        sealedState[0] = Version;
        var nonce = sealedState.AsSpan(1, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagBytes);
        aes.Encrypt(nonce, state, sealedState.AsSpan(1 + NonceBytes + TagBytes), sealedState.AsSpan(1 + NonceBytes, TagBytes), Encoding.UTF8.GetBytes(sessionKey));
        return sealedState;
    }

    /// <summary>The session, or null when it was sealed with another key, for another session, or altered.</summary>
    public byte[]? Unseal(string sessionKey, byte[] sealedState)
    {
        if (sealedState.Length < 1 + NonceBytes + TagBytes || sealedState[0] != Version)
        {
            return null;
        }

        var state = new byte[sealedState.Length - 1 - NonceBytes - TagBytes];
        using var aes = new AesGcm(_key, TagBytes);
        try
        {
            aes.Decrypt(sealedState.AsSpan(1, NonceBytes), sealedState.AsSpan(1 + NonceBytes + TagBytes), sealedState.AsSpan(1 + NonceBytes, TagBytes),
                state, Encoding.UTF8.GetBytes(sessionKey));
            return state;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }

    private static byte[] Derive(byte[] secret, string tenantId, string clientId) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, Encoding.UTF8.GetBytes($"{tenantId}\n{clientId}"), s_label);
}
