namespace Intermediary.Bench;

/// <summary>
/// Which component a call stack's work belongs to: the innermost frame whose namespace names one. Helpers of the
/// runtime's base library (async builders, tasks, strings, collections) name none, so their caller decides.
/// </summary>
internal static class Components
{
    // Most specific first.
    private static readonly (string Namespace, string Component)[] s_components =
    [
        ("Intermediary.Bench", "benchmark hook"),
        ("Intermediary.", "Intermediary (our code)"),
        ("Polly.", "Polly (resilience pipeline)"),
        ("System.Net.Http.", "HttpClient (upstream call)"),
        ("System.Net.Sockets.", "sockets"),
        ("System.Net.Security.", "sockets"),
        ("Microsoft.AspNetCore.Server.Kestrel", "Kestrel"),
        ("System.IO.Pipelines", "Kestrel"),
        ("Microsoft.AspNetCore.Routing", "ASP.NET Core routing"),
        ("Microsoft.AspNetCore.Hosting", "ASP.NET Core hosting (request activity, log scope)"),
        ("Microsoft.AspNetCore.", "ASP.NET Core middleware"),
        ("Microsoft.Extensions.Logging", "logging"),
        ("System.Text.Json", "System.Text.Json"),
        ("System.Diagnostics.Activity", "Activity (tracing)"),
        ("System.Diagnostics.DiagnosticListener", "Activity (tracing)"),
        ("System.Diagnostics.Metrics", "metrics"),
        ("System.Diagnostics.Tracing", "EventSource (the sampling itself)"),
        ("Microsoft.Identity.Client", "MSAL"),
        ("Yarp.", "YARP"),
    ];

    /// <summary>
    /// The component of the innermost frame that names one, or null. <paramref name="before"/> is what stands in
    /// front of the declaring type's namespace, and nowhere else: <c>!</c> after TraceEvent's module name, <c>] </c>
    /// after the assembly in a perf map symbol (its parameter types read <c>[assembly]Type</c>, without the space).
    /// </summary>
    public static string? Of(IEnumerable<string> frames, string before)
    {
        foreach (var frame in frames)
        {
            foreach (var (name, component) in s_components)
            {
                if (frame.Contains(before + name, StringComparison.Ordinal))
                {
                    return component;
                }
            }
        }

        return null;
    }
}
