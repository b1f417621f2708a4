namespace Intermediary.Simulator.Entra;

/// <summary>
/// An OAuth error as Entra ID words it; <see cref="Description"/> starts with "AADSTSnnnn: ". <see cref="Suberror"/> and
/// <see cref="Claims"/> (a claims challenge, itself JSON) are sent only when set, as Entra does for user flows.
/// </summary>
internal sealed record EntraError(int StatusCode, string Error, int Code, string Description, string? Suberror = null, string? Claims = null)
{
    /// <summary>The claims challenge the simulator's Conditional Access policies send: satisfy policy "sim-ca-policy".</summary>
    public const string ClaimsChallenge = """{"access_token":{"capolids":{"essential":true,"values":["sim-ca-policy"]}}}""";

    private const int MaxEchoedLength = 100;

    public static EntraError UnknownTenant(string tenant) => new(
        400,
        "invalid_request",
        90002,
        $"AADSTS90002: Tenant '{Echo(tenant)}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.");

    public static EntraError MissingParameter(string name) => new(
        400,
        "invalid_request",
        900144,
        $"AADSTS900144: The request body must contain the following parameter: '{name}'.");

    public static EntraError UnsupportedGrantType(string grantType) => new(
        400,
        "unsupported_grant_type",
        70003,
        $"AADSTS70003: The app requested an unsupported grant type '{Echo(grantType)}'.");

    public static EntraError UnknownClient(string clientId, string tenant) => new(
        400,
        "unauthorized_client",
        700016,
        $"AADSTS700016: Application with identifier '{Echo(clientId)}' was not found in the directory '{Echo(tenant)}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.");

    // Never echoes the submitted secret: Entra names the app, not the value.
    public static EntraError InvalidClientSecret(string clientId) => new(
        401,
        "invalid_client",
        7000215,
        $"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{Echo(clientId)}'.");

    public static EntraError InvalidClientAssertion(string reason) => new(
        401,
        "invalid_client",
        700027,
        $"AADSTS700027: {reason}");

    public static EntraError InvalidScope(string scope) => new(
        400,
        "invalid_scope",
        1002012,
        $"AADSTS1002012: The provided value for scope {Echo(scope)} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");

    public static EntraError InvalidDelegatedScope(string scope) => new(
        400,
        "invalid_scope",
        70011,
        $"AADSTS70011: The provided value for the input parameter 'scope' is not valid. The scope {Echo(scope)} is not valid.");

    public static EntraError UnknownResource(string resource, string tenant) => new(
        400,
        "invalid_resource",
        500011,
        $"AADSTS500011: The resource principal named {Echo(resource)} was not found in the tenant named {Echo(tenant)}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.");

    public static EntraError ConsentRequired(string clientId, string resource) => new(
        400,
        "invalid_grant",
        65001,
        $"AADSTS65001: The user or administrator has not consented to use the application with ID '{Echo(clientId)}' for the resource '{Echo(resource)}'. Send an interactive authorization request for this user and resource.",
        Suberror: "consent_required");

    public static EntraError MfaRequired(string resource) => new(
        400,
        "invalid_grant",
        50076,
        $"AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{Echo(resource)}'.",
        Suberror: "basic_action",
        Claims: ClaimsChallenge);

    public static EntraError BlockedByConditionalAccess() => new(
        400,
        "invalid_grant",
        53003,
        "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        Suberror: "message_only",
        Claims: ClaimsChallenge);

    public static EntraError AssertionExpired(DateTimeOffset now, DateTimeOffset expiry) => new(
        400,
        "invalid_grant",
        500133,
        $"AADSTS500133: Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: {now:yyyy-MM-ddTHH:mm:ss.fffffffZ}, expiry time of assertion {expiry:yyyy-MM-ddTHH:mm:ss.fffffffZ}.");

    public static EntraError AssertionInvalid(string reason) => new(
        400,
        "invalid_grant",
        50013,
        $"AADSTS50013: {reason}");

    public static EntraError RefreshTokenExpired() => new(
        400,
        "invalid_grant",
        700082,
        "AADSTS700082: The refresh token has expired due to inactivity. The token was issued on a date before the session was ended.");

    public static EntraError UnsupportedTokenUse(string value) => new(
        400,
        "invalid_request",
        90014,
        $"AADSTS90014: The field 'requested_token_use' has the unsupported value '{Echo(value)}'; the on-behalf-of flow needs 'on_behalf_of'.");

    public static EntraError InvalidLifetime(string value) => new(
        400,
        "invalid_request",
        900144,
        $"AADSTS900144: The development grant's 'lifetime' must be a whole number of seconds from 1 to 86400, not '{Echo(value)}'.");

    public static EntraError UnknownUser(string name, string tenant) => new(
        400,
        "invalid_grant",
        50034,
        $"AADSTS50034: The user account {Echo(name)} does not exist in the {Echo(tenant)} directory. To sign into this application, the account must be added to the directory.");

    private static string Echo(string value) => value.Length <= MaxEchoedLength ? value : value[..MaxEchoedLength] + "...";
}
