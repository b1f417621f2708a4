using Intermediary.Simulator.Entra;

namespace Intermediary.Simulator.Gateway;

/// <summary>The decoded bearer token of a request (not verified here: validate-jwt has done that when it is on).</summary>
internal static class BearerToken
{
    private const string Scheme = "Bearer ";

    public static CompactJwt? Read(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) && CompactJwt.TryParse(header[Scheme.Length..].Trim(), out var jwt)
            ? jwt
            : null;
    }
}
