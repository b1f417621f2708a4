namespace Intermediary.Configuration;

/// <summary>One APIM-fronted API: where it is, how to get a token for it and how hard to try.</summary>
public sealed class UpstreamOptions
{
    /// <summary>Absolute http(s) base URL, e.g. the APIM API URL <c>https://contoso.azure-api.net/orders/</c>.</summary>
    public Uri? BaseUrl { get; set; }

    /// <summary>Path prefixes callers may reach under <see cref="BaseUrl"/> (e.g. <c>/items</c>); <c>/</c> allows all.</summary>
    public List<string> AllowedPaths { get; } = [];

    /// <summary>Request headers copied from the caller to the upstream; everything else is dropped.</summary>
    public List<string> ForwardedHeaders { get; } = [];

    /// <summary>Sent as <c>Ocp-Apim-Subscription-Key</c> when set (use a Key Vault reference in Azure).</summary>
    public string? SubscriptionKey { get; set; }

    /// <summary>Path probed by <c>/api/health</c> to show the upstream is reachable; any HTTP answer counts. <value>The default is <c>/</c>.</value></summary>
    public string HealthPath { get; set; } = "/";

    /// <summary>How the service authenticates to the upstream. <value>The default is <c>ClientSecret</c>.</value></summary>
    public CredentialType Credential { get; set; } = CredentialType.ClientSecret;

    /// <summary>Entra authority host; change only for sovereign clouds or a simulator. <value>The default is <c>https://login.microsoftonline.com/</c>.</value></summary>
    public Uri AuthorityHost { get; set; } = new("https://login.microsoftonline.com/");

    public string? TenantId { get; set; }
    public string? ClientId { get; set; }

    /// <summary>Scope requested, normally <c>api://{app-id}/.default</c>.</summary>
    public string? Scope { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Path to a PFX file, for <see cref="CredentialType.Certificate"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Base64 PFX (how Key Vault certificates arrive through app settings), for <see cref="CredentialType.Certificate"/>.</summary>
    public string? CertificateBase64 { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty means system-assigned.</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>Audience of the federated assertion. <value>The default is Entra's public cloud value, <c>api://AzureADTokenExchange/.default</c>.</value></summary>
    public string FederatedTokenAudience { get; set; } = "api://AzureADTokenExchange/.default";

    /// <summary>Timeouts, retries and circuit breaking for calls to this upstream.</summary>
    public ResilienceOptions Resilience { get; set; } = new();

    /// <summary>Largest upstream response body read; a larger one becomes an <c>InvalidResponse</c> envelope. <value>The default is 10 MiB.</value></summary>
    public long MaxResponseBodyBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>Coalescing, a short-lived cache and stale-if-error for safe reads; off until <see cref="CacheOptions.Paths"/> is set.</summary>
    public CacheOptions Cache { get; set; } = new();
}

/// <summary>Which credential obtains the upstream's bearer token.</summary>
public enum CredentialType
{
    /// <summary>MSAL confidential client with <see cref="UpstreamOptions.ClientSecret"/>.</summary>
    ClientSecret,

    /// <summary>MSAL confidential client with a certificate (PFX file or base64 PFX, e.g. from Key Vault).</summary>
    Certificate,

    /// <summary>MSAL confidential client whose assertion comes from a registered <c>IClientAssertionProvider</c>.</summary>
    ClientAssertion,

    /// <summary>MSAL confidential client using the app's managed identity as a federated credential (no secret at all).</summary>
    FederatedManagedIdentity,

    /// <summary>Azure.Identity managed identity token for the scope directly (the API trusts the identity itself).</summary>
    ManagedIdentity,

    /// <summary>No bearer token (the upstream only needs the subscription key).</summary>
    None,

    /// <summary>
    /// On behalf of the signed-in user: the caller sends the user's token for this service
    /// (<c>Authorization: Bearer</c>, checked against <see cref="IntermediaryOptions.UserTokens"/>) and an MSAL
    /// confidential client — with <see cref="UpstreamOptions.ClientSecret"/>, or the certificate when
    /// <see cref="UpstreamOptions.CertificatePath"/> or <see cref="UpstreamOptions.CertificateBase64"/> is set —
    /// exchanges it for the upstream's <see cref="UpstreamOptions.Scope"/>. The upstream sees the user.
    /// </summary>
    OnBehalfOf,
}

/// <summary>
/// Resilience defaults modelled on Microsoft.Extensions.Http.Resilience's standard handler, with a total budget
/// kept well below the ~120 s a connector waits.
/// </summary>
public sealed class ResilienceOptions
{
    /// <summary>Everything (all attempts and waits) must finish within this. <value>The default is 80 seconds.</value></summary>
    public TimeSpan TotalTimeout { get; set; } = ResilienceDefaults.TotalTimeout;

    /// <summary>One attempt, including reading the response body. <value>The default is 20 seconds.</value></summary>
    public TimeSpan AttemptTimeout { get; set; } = ResilienceDefaults.AttemptTimeout;

    /// <summary>Retries after the first attempt, at most 10. <value>The default is 4.</value></summary>
    public int MaxRetries { get; set; } = ResilienceDefaults.MaxRetries;

    /// <summary>First backoff delay; doubles each retry, with jitter. <value>The default is 1 second.</value></summary>
    public TimeSpan BaseDelay { get; set; } = ResilienceDefaults.BaseDelay;

    /// <summary>
    /// Longest computed backoff delay (a server's Retry-After may ask for more, within the budget).
    /// <value>The default is 20 seconds.</value>
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = ResilienceDefaults.MaxDelay;

    /// <summary>Failure ratio in the sampling window that opens the circuit, in (0, 1]. <value>The default is 0.5.</value></summary>
    public double CircuitBreakerFailureRatio { get; set; } = ResilienceDefaults.CircuitBreakerFailureRatio;

    /// <summary>Calls needed in the window before the circuit may open, at least 2. <value>The default is 20.</value></summary>
    public int CircuitBreakerMinimumThroughput { get; set; } = ResilienceDefaults.CircuitBreakerMinimumThroughput;

    /// <summary>The window the failure ratio is measured over, at least 0.5 s. <value>The default is 30 seconds.</value></summary>
    public TimeSpan CircuitBreakerSamplingDuration { get; set; } = ResilienceDefaults.CircuitBreakerSamplingDuration;

    /// <summary>How long an open circuit rejects calls before letting one through, at least 0.5 s. <value>The default is 15 seconds.</value></summary>
    public TimeSpan CircuitBreakerBreakDuration { get; set; } = ResilienceDefaults.CircuitBreakerBreakDuration;

    /// <summary>
    /// The settings a job runs with: its own budget for everything, and no shorter limit per attempt — a job
    /// exists precisely because the upstream may take longer than a synchronous call may wait.
    /// </summary>
    internal ResilienceOptions ForJob(TimeSpan budget)
    {
        var copy = (ResilienceOptions)MemberwiseClone();
        copy.TotalTimeout = budget;
        copy.AttemptTimeout = budget;
        return copy;
    }
}
