using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Entra;

/// <summary>Issues the tenant's access tokens and remembers which ones were revoked.</summary>
internal sealed class AccessTokenIssuer(SimulatorOptions options, SimulatorAddresses addresses, JwtSigner signer)
{
    // Revocation is tracked per token id rather than by issue time: with a frozen fake clock a token issued
    // right after RevokeIssuedTokens has the same "iat" as the revoked ones and must still be accepted.
    private readonly ConcurrentDictionary<string, byte> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);

    public string Issue(string tenant, string clientId, bool certificateCredential)
    {
        var now = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        var jti = Guid.NewGuid().ToString();
        var payload = new JsonObject
        {
            ["aud"] = options.Audience,
            ["iss"] = addresses.Issuer(tenant),
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + (long)options.TokenLifetime.TotalSeconds,
            ["appid"] = clientId,
            ["azp"] = clientId,
            ["azpacr"] = certificateCredential ? "2" : "1",
            ["idp"] = addresses.Issuer(tenant),
            ["oid"] = ServicePrincipalObjectId(clientId),
            ["roles"] = new JsonArray("Items.ReadWrite"),
            ["sub"] = clientId,
            ["tid"] = tenant,
            ["jti"] = jti,
            ["ver"] = "2.0",
        };

        _live.TryAdd(jti, 0);
        return signer.Sign(payload);
    }

    /// <summary>
    /// A user's access token for the service (the development grant): audience the service's client id, as a v2.0
    /// token for an API is, with the delegated scope <c>access_as_user</c>, issued to the connector's app.
    /// <paramref name="claims"/> may change the payload before it is signed (tests of a token validator).
    /// </summary>
    public string IssueForService(SimulatedUser user, TimeSpan lifetime, Action<JsonObject>? claims = null) =>
        IssueUserToken(user, options.ClientId, "access_as_user", options.ConnectorClientId, lifetime, claims);

    /// <summary>The token an on-behalf-of exchange gives <paramref name="clientId"/>: the same user, for the demo API.</summary>
    public string IssueForApi(SimulatedUser user, string clientId, string scopes) =>
        IssueUserToken(user, options.Audience, scopes, clientId, options.TokenLifetime);

    public void RevokeAll()
    {
        foreach (var jti in _live.Keys)
        {
            _revoked.TryAdd(jti, 0);
            _live.TryRemove(jti, out _);
        }
    }

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    private string IssueUserToken(SimulatedUser user, string audience, string scopes, string clientId, TimeSpan lifetime, Action<JsonObject>? claims = null)
    {
        var now = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        var jti = Guid.NewGuid().ToString();
        var payload = new JsonObject
        {
            ["aud"] = audience,
            ["iss"] = addresses.Issuer(options.TenantId),
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + (long)lifetime.TotalSeconds,
            ["azp"] = clientId,
            ["azpacr"] = "1",
            ["name"] = user.DisplayName,
            ["oid"] = user.ObjectId,
            ["preferred_username"] = $"{user.Name}@{options.TenantId}.example",
            ["scp"] = scopes,
            // Pairwise, as Entra's "sub" is: the same user looks different to different apps.
            ["sub"] = Pairwise(user.ObjectId, clientId),
            ["tid"] = options.TenantId,
            ["jti"] = jti,
            ["ver"] = "2.0",
        };

        claims?.Invoke(payload);
        _live.TryAdd(jti, 0);
        return signer.Sign(payload);
    }

    private static string Pairwise(string objectId, string clientId) =>
        Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(objectId + "|" + clientId)).AsSpan(0, 24));

    // Stable per client id, as a real service principal's object id is.
    private static string ServicePrincipalObjectId(string clientId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(clientId)).AsSpan(0, 16)).ToString();
}
