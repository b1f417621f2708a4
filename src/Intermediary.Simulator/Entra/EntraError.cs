namespace Intermediary.Simulator.Entra;

/// <summary>An OAuth error as Entra ID words it; <see cref="Description"/> starts with "AADSTSnnnn: ".</summary>
internal sealed record EntraError(int StatusCode, string Error, int Code, string Description)
{
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

    public static EntraError UnknownResource(string resource, string tenant) => new(
        400,
        "invalid_resource",
        500011,
        $"AADSTS500011: The resource principal named {Echo(resource)} was not found in the tenant named {Echo(tenant)}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.");

    private static string Echo(string value) => value.Length <= MaxEchoedLength ? value : value[..MaxEchoedLength] + "...";
}
