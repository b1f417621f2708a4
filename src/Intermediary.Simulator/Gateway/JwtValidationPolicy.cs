using Intermediary.Simulator.Entra;
using Intermediary.Simulator.Hosting;
using Microsoft.Extensions.Primitives;

namespace Intermediary.Simulator.Gateway;

/// <summary>
/// APIM's validate-jwt policy as configured for the demo API: RS256 from the tenant's key, audience, issuer and
/// lifetime (no clock skew, as APIM's default) and the simulator's revocation list.
/// </summary>
internal sealed class JwtValidationPolicy(
    SimulatorOptions options,
    SimulatorAddresses addresses,
    JwtSigner signer,
    AccessTokenIssuer issuer)
{
    public const string NotPresent = "JWT not present.";
    public const string Invalid = "Invalid JWT.";
    public const string Expired = "Lifetime validation failed. The token is expired.";
    public const string NotYetValid = "Lifetime validation failed. The token is not yet valid.";

    /// <summary>Null when the request carries a valid token; otherwise APIM's failure message.</summary>
    public string? Validate(StringValues authorization)
    {
        var header = authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length == Scheme.Length)
        {
            return NotPresent;
        }

        if (!CompactJwt.TryParse(header[Scheme.Length..].Trim(), out var jwt) || !signer.Verify(jwt))
        {
            return Invalid;
        }

        var payload = jwt.Payload;
        if (CompactJwt.GetString(payload, "jti") is not { } jti || issuer.IsRevoked(jti))
        {
            return Invalid;
        }

        var now = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        if (CompactJwt.GetNumericDate(payload, "exp") is not { } expires || expires <= now)
        {
            return Expired;
        }

        if (CompactJwt.GetNumericDate(payload, "nbf") is { } notBefore && notBefore > now)
        {
            return NotYetValid;
        }

        if (!CompactJwt.GetStrings(payload, "aud").Contains(options.Audience, StringComparer.OrdinalIgnoreCase)
            || CompactJwt.GetString(payload, "iss") != addresses.Issuer(options.TenantId))
        {
            return Invalid;
        }

        return null;
    }
}
