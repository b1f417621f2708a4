namespace Intermediary.Endpoints;

/// <summary>Route templates shared by every host, so the Server and Functions hosts expose the same URLs.</summary>
public static class IntermediaryRoutes
{
    /// <summary>Both hosts serve everything under this prefix (Functions' default <c>routePrefix</c>).</summary>
    public const string Prefix = "api";

    public const string Call = "call/{upstream}/{**path}";
    public const string CallRoot = "call/{upstream}";
    public const string Health = "health";

    /// <summary>GET, anonymous: liveness only (no upstream calls).</summary>
    public const string Live = "health/live";

    /// <summary>POST: start a job whose request is described by the JSON body.</summary>
    public const string JobStart = "jobs/{upstream}";

    /// <summary>POST: start a job that will send this request as-is (method from <c>X-Job-Method</c>, default POST).</summary>
    public const string JobStartWithPath = "jobs/{upstream}/{**path}";

    /// <summary>GET: poll; DELETE: cancel.</summary>
    public const string Job = "jobs/{id}";

    /// <summary>Methods the call endpoint forwards; anything else gets a MethodNotAllowed envelope.</summary>
    public static readonly IReadOnlyList<string> CallMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

    /// <summary>Whether <paramref name="method"/> (in any case) is one of <see cref="CallMethods"/>; checked on every call, so without an enumerator.</summary>
    internal static bool IsCallMethod(string method)
    {
        for (var i = 0; i < CallMethods.Count; i++)
        {
            if (string.Equals(CallMethods[i], method, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
