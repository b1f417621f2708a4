using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Intermediary.Simulator.Entra;

/// <summary>
/// The tenant's users as the token endpoint sees them: who they are, what a test has scripted for their on-behalf-of
/// requests, and the refresh tokens issued to them (rotated on every use, revocable per user).
/// </summary>
internal sealed class UserDirectory(SimulatorOptions options)
{
    private readonly ConcurrentDictionary<string, UserChallenge> _challenges = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshGrant> _refreshTokens = new(StringComparer.Ordinal);

    // How many times each user's sessions were revoked. A refresh token belongs to the session generation it was first
    // issued in and is refused after a revocation, even one that came while a refresh was rotating it.
    private readonly ConcurrentDictionary<string, int> _revocations = new(StringComparer.Ordinal);
    private int _exchanges;
    private int _redeemed;

    /// <summary>On-behalf-of and refresh-token grants that issued a token.</summary>
    public int Exchanges => Volatile.Read(ref _exchanges);

    /// <summary>Refresh tokens redeemed (each one once; the grant may still fail on the user's policies).</summary>
    public int Redeemed => Volatile.Read(ref _redeemed);

    public SimulatedUser? FindByName(string name) =>
        options.Users.FirstOrDefault(user => string.Equals(user.Name, name, StringComparison.OrdinalIgnoreCase));

    public SimulatedUser? FindByObjectId(string? objectId) =>
        objectId is null ? null : options.Users.FirstOrDefault(user => string.Equals(user.ObjectId, objectId, StringComparison.OrdinalIgnoreCase));

    public UserChallenge ChallengeFor(SimulatedUser user) => _challenges.GetValueOrDefault(user.ObjectId);

    public void Script(SimulatedUser user, UserChallenge challenge) => _challenges[user.ObjectId] = challenge;

    public void CountExchange() => Interlocked.Increment(ref _exchanges);

    /// <summary>
    /// A new refresh token: for a new session, or (<paramref name="rotated"/>) the successor of one just redeemed,
    /// which stays in that session's generation.
    /// </summary>
    public string IssueRefreshToken(SimulatedUser user, string clientId, string scope, RefreshGrant? rotated = null)
    {
        var token = "sim-rt." + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        _refreshTokens[token] = new RefreshGrant(user.ObjectId, clientId, scope, rotated?.Generation ?? Generation(user.ObjectId));
        return token;
    }

    /// <summary>The grant behind a refresh token presented by <paramref name="clientId"/>, used up (rotation); null when unknown, revoked or another client's.</summary>
    public RefreshGrant? Redeem(string refreshToken, string clientId)
    {
        if (!_refreshTokens.TryRemove(refreshToken, out var grant) || !string.Equals(grant.ClientId, clientId, StringComparison.OrdinalIgnoreCase)
            || grant.Generation != Generation(grant.UserObjectId))
        {
            return null;
        }

        Interlocked.Increment(ref _redeemed);
        return grant;
    }

    /// <summary>
    /// Ends every session of the user: their refresh tokens, and any a refresh in flight rotates them into, stop
    /// working (AADSTS700082; <see cref="Redeem"/> refuses a token of an earlier session generation).
    /// </summary>
    public void RevokeSessions(SimulatedUser user) => _revocations.AddOrUpdate(user.ObjectId, 1, (_, count) => count + 1);

    public void Reset()
    {
        _challenges.Clear();
        Interlocked.Exchange(ref _exchanges, 0);
        Interlocked.Exchange(ref _redeemed, 0);
    }

    private int Generation(string userObjectId) => _revocations.GetValueOrDefault(userObjectId);
}

internal sealed record RefreshGrant(string UserObjectId, string ClientId, string Scope, int Generation);
