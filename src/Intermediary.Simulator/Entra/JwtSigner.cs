using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Intermediary.Simulator.Entra;

/// <summary>The tenant's token-signing key: signs access tokens (RS256) and verifies them for validate-jwt.</summary>
internal sealed class JwtSigner : IDisposable
{
    private readonly RSA _key = RSA.Create(2048);

    public JwtSigner()
    {
        var modulus = _key.ExportParameters(includePrivateParameters: false).Modulus!;
        KeyId = Base64Url.EncodeToString(SHA256.HashData(modulus).AsSpan(0, 20));
    }

    public string KeyId { get; }

    public JsonWebKey PublicKey
    {
        get
        {
            var parameters = _key.ExportParameters(includePrivateParameters: false);
            return new JsonWebKey("RSA", "sig", KeyId, "RS256", Base64Url.EncodeToString(parameters.Modulus), Base64Url.EncodeToString(parameters.Exponent));
        }
    }

    public string Sign(JsonObject payload)
    {
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = KeyId };
        return CompactJwt.Create(header, payload, input => _key.SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <summary>True when the token is RS256, names this key (or no key) and its signature verifies.</summary>
    public bool Verify(CompactJwt jwt)
    {
        var kid = CompactJwt.GetString(jwt.Header, "kid");
        return jwt.Algorithm == "RS256"
            && (kid is null || kid == KeyId)
            && _key.VerifyData(jwt.SigningInput, jwt.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    public void Dispose() => _key.Dispose();
}
