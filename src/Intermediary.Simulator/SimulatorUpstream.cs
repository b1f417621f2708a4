namespace Intermediary.Simulator;

/// <summary>
/// Configuration for an upstream that points at a running simulator with valid credentials: what --demo uses,
/// and what tests and benchmarks start from.
/// </summary>
public static class SimulatorUpstream
{
    /// <summary>
    /// Settings for an upstream called on behalf of the signed-in user (Credential OnBehalfOf), and the service's
    /// UserTokens settings that accept the simulator's users' tokens (see <see cref="ApimSimulator.IssueUserToken"/>).
    /// </summary>
    public static Dictionary<string, string?> OnBehalfOfSettings(ApimSimulator simulator, string name, params string[] allowedPaths)
    {
        var settings = Settings(simulator, name, allowedPaths);
        settings[$"Intermediary:Upstreams:{name}:Credential"] = "OnBehalfOf";
        settings["Intermediary:UserTokens:Authority"] = new Uri(simulator.Authority, "v2.0").AbsoluteUri;
        settings["Intermediary:UserTokens:TenantId"] = simulator.Options.TenantId;
        settings["Intermediary:UserTokens:Audiences:0"] = simulator.Options.ClientId;
        return settings;
    }

    /// <summary><c>Intermediary:Upstreams:{name}:*</c> settings for <paramref name="simulator"/>.</summary>
    public static Dictionary<string, string?> Settings(ApimSimulator simulator, string name, params string[] allowedPaths)
    {
        ArgumentNullException.ThrowIfNull(simulator);
        ArgumentNullException.ThrowIfNull(allowedPaths);
        var prefix = $"Intermediary:Upstreams:{name}:";
        var settings = new Dictionary<string, string?>
        {
            [prefix + "BaseUrl"] = simulator.ApiBaseAddress.AbsoluteUri,
            [prefix + "SubscriptionKey"] = simulator.Options.SubscriptionKey,
            [prefix + "Credential"] = "ClientSecret",
            [prefix + "AuthorityHost"] = simulator.HttpsBaseAddress.AbsoluteUri,
            [prefix + "TenantId"] = simulator.Options.TenantId,
            [prefix + "ClientId"] = simulator.Options.ClientId,
            [prefix + "ClientSecret"] = simulator.Options.ClientSecret,
            [prefix + "Scope"] = simulator.Scope,
            [prefix + "HealthPath"] = "/items",
        };
        for (var i = 0; i < allowedPaths.Length; i++)
        {
            settings[$"{prefix}AllowedPaths:{i}"] = allowedPaths[i];
        }

        return settings;
    }

    /// <summary>
    /// The <c>demo</c> upstream of the tour (<c>--demo</c>, and <c>func start</c> through <see cref="FunctionsLocalSettings"/>):
    /// the demo API's paths, a budget short enough that the slow-upstream stop answers in seconds, and the item reads cached.
    /// </summary>
    public static Dictionary<string, string?> DemoSettings(ApimSimulator simulator)
    {
        var settings = Settings(simulator, DemoUpstream, "/items", "/faults", "/echo", "/jobs", "/lro");
        settings[$"Intermediary:Upstreams:{DemoUpstream}:Resilience:AttemptTimeout"] = "00:00:04";
        settings[$"Intermediary:Upstreams:{DemoUpstream}:Resilience:TotalTimeout"] = "00:00:15";
        // The list a gallery loads: bursts share one request, answers are kept 10 s, and stand in for 5 minutes of outage.
        settings[$"Intermediary:Upstreams:{DemoUpstream}:Cache:Paths:0"] = "/items";
        settings[$"Intermediary:Upstreams:{DemoUpstream}:Cache:Ttl"] = "00:00:10";
        settings[$"Intermediary:Upstreams:{DemoUpstream}:Cache:StaleIfError"] = "00:05:00";
        return settings;
    }

    /// <summary>The upstream name the tour and the connector samples use.</summary>
    public const string DemoUpstream = "demo";
}
