using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Intermediary.Simulator.Entra;

internal sealed record TokenResponse(string TokenType, long ExpiresIn, long ExtExpiresIn, string AccessToken)
{
    /// <summary>The granted scopes; user flows only.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Scope { get; init; }

    /// <summary>Sent when offline_access was asked for; the long-running on-behalf-of flow lives on it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RefreshToken { get; init; }

    /// <summary>Base64url of {"uid":oid,"utid":tid}, when the client asked with client_info=1 (MSAL does, and needs it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientInfo { get; init; }
}

internal sealed record EntraErrorBody(
    string Error,
    string ErrorDescription,
    int[] ErrorCodes,
    string Timestamp,
    string TraceId,
    string CorrelationId,
    string ErrorUri)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Suberror { get; init; }

    /// <summary>A claims challenge: JSON, sent as a string, for the client to take back to the sign-in page.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Claims { get; init; }
}

internal sealed record OpenIdConfiguration(
    string Issuer,
    string AuthorizationEndpoint,
    string TokenEndpoint,
    string JwksUri,
    string[] TokenEndpointAuthMethodsSupported,
    string[] ResponseTypesSupported,
    string[] ResponseModesSupported,
    string[] SubjectTypesSupported,
    string[] IdTokenSigningAlgValuesSupported,
    string[] ScopesSupported,
    string[] GrantTypesSupported,
    bool RequestUriParameterSupported,
    string CloudInstanceName);

internal sealed record JsonWebKey(string Kty, string Use, string Kid, string Alg, string N, string E);

internal sealed record JsonWebKeySet(IReadOnlyList<JsonWebKey> Keys);

internal sealed record InstanceDiscoveryMetadata(string PreferredNetwork, string PreferredCache, string[] Aliases);

internal sealed record InstanceDiscovery(
    string TenantDiscoveryEndpoint,
    [property: JsonPropertyName("api-version")] string ApiVersion,
    InstanceDiscoveryMetadata[] Metadata);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(EntraErrorBody))]
[JsonSerializable(typeof(OpenIdConfiguration))]
[JsonSerializable(typeof(JsonWebKeySet))]
[JsonSerializable(typeof(InstanceDiscovery))]
internal sealed partial class EntraJsonContext : JsonSerializerContext
{
    /// <summary>Like Entra, writes apostrophes and non-ASCII characters literally rather than as \u escapes.</summary>
    public static EntraJsonContext Literal { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
