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

    public void RevokeAll()
    {
        foreach (var jti in _live.Keys)
        {
            _revoked.TryAdd(jti, 0);
            _live.TryRemove(jti, out _);
        }
    }

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    // Stable per client id, as a real service principal's object id is.
    private static string ServicePrincipalObjectId(string clientId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(clientId)).AsSpan(0, 16)).ToString();
}
