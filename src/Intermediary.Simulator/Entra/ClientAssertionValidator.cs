using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Intermediary.Simulator.Hosting;

namespace Intermediary.Simulator.Entra;

/// <summary>Checks a client_assertion the way Entra does for a certificate credential or a federated credential.</summary>
internal static class ClientAssertionValidator
{
    public const string JwtBearerType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    // The assertion is minted with the client's real clock (MSAL takes no TimeProvider), so its lifetime is checked
    // against the system clock, not SimulatorOptions.TimeProvider, with Entra's five minutes of skew.
    private static readonly TimeSpan AllowedClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>Null when the assertion is accepted; otherwise the reason, which never contains the assertion.</summary>
    public static string? Validate(string assertion, string? assertionType, string tenant, SimulatorOptions options)
    {
        if (assertionType != JwtBearerType)
        {
            return $"The client_assertion_type must be '{JwtBearerType}'.";
        }

        if (Secret.Matches(assertion, options.FederatedAssertion))
        {
            return null;
        }

        if (options.ClientCertificate is not { } certificate || !CompactJwt.TryParse(assertion, out var jwt))
        {
            return "Client assertion failed signature validation.";
        }

        if (!VerifySignature(jwt, certificate))
        {
            return "The certificate with identifier used to sign the client assertion is not registered on application.";
        }

        if (options.RequireCertificateChain && !CarriesCertificate(jwt, certificate))
        {
            return "The client assertion has no x5c header with the registered certificate, which subject name and issuer authentication needs.";
        }

        var payload = jwt.Payload;
        var audienceNamesTenant = CompactJwt.GetStrings(payload, "aud")
            .Any(aud => aud.Contains($"/{tenant}/", StringComparison.OrdinalIgnoreCase) || aud.EndsWith($"/{tenant}", StringComparison.OrdinalIgnoreCase));
        if (CompactJwt.GetString(payload, "iss") != options.ClientId
            || CompactJwt.GetString(payload, "sub") != options.ClientId
            || !audienceNamesTenant)
        {
            return "The client assertion has an invalid 'aud', 'iss' or 'sub' claim.";
        }

        var now = TimeProvider.System.GetUtcNow();
        var expires = CompactJwt.GetNumericDate(payload, "exp");
        var notBefore = CompactJwt.GetNumericDate(payload, "nbf");
        if (expires is null
            || DateTimeOffset.FromUnixTimeSeconds(expires.Value) + AllowedClockSkew <= now
            || (notBefore is not null && DateTimeOffset.FromUnixTimeSeconds(notBefore.Value) - AllowedClockSkew > now))
        {
            return "The client assertion is expired or not yet valid.";
        }

        return null;
    }

    // RFC 7515 makes x5c an array; MSAL.NET sends the one certificate as a plain string, which Entra accepts too.
    private static bool CarriesCertificate(CompactJwt jwt, X509Certificate2 certificate)
    {
        if (jwt.Header.ValueKind != JsonValueKind.Object || !jwt.Header.TryGetProperty("x5c", out var chain))
        {
            return false;
        }

        var first = chain.ValueKind == JsonValueKind.Array && chain.GetArrayLength() > 0 ? chain[0] : chain;
        return first.ValueKind == JsonValueKind.String && first.GetString() == Convert.ToBase64String(certificate.RawData);
    }

    // MSAL signs with PS256 for Entra authorities and RS256 for generic OIDC authorities.
    private static bool VerifySignature(CompactJwt jwt, X509Certificate2 certificate)
    {
        var padding = jwt.Algorithm switch
        {
            "RS256" => RSASignaturePadding.Pkcs1,
            "PS256" => RSASignaturePadding.Pss,
            _ => null,
        };
        if (padding is null)
        {
            return false;
        }

        using var key = certificate.GetRSAPublicKey();
        return key is not null && key.VerifyData(jwt.SigningInput, jwt.Signature, HashAlgorithmName.SHA256, padding);
    }
}
