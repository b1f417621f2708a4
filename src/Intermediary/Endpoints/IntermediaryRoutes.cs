namespace Intermediary.Endpoints;

/// <summary>Route templates shared by every host, so the Server and Functions hosts expose the same URLs.</summary>
public static class IntermediaryRoutes
{
    /// <summary>Both hosts serve everything under this prefix (Functions' default <c>routePrefix</c>).</summary>
    public const string Prefix = "api";

    public const string Call = "call/{upstream}/{**path}";
    public const string CallRoot = "call/{upstream}";
    public const string Health = "health";

    /// <summary>Methods the call endpoint forwards; anything else gets a MethodNotAllowed envelope.</summary>
    public static readonly IReadOnlyList<string> CallMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
}
