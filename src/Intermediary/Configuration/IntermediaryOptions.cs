using Intermediary.Envelopes;

namespace Intermediary.Configuration;

/// <summary>Root options, bound from the <c>Intermediary</c> configuration section.</summary>
public sealed class IntermediaryOptions
{
    public const string SectionName = "Intermediary";

    /// <summary>Error mode when the caller sends neither <c>X-Error-Mode</c> nor <c>errorMode</c>. <value>The default is <c>Body</c>.</value></summary>
    public ErrorMode ErrorMode { get; set; } = ErrorMode.Body;

    /// <summary>
    /// The URL callers reach this service at (e.g. <c>https://contoso-intermediary.azurewebsites.net</c>), for job
    /// status URLs behind proxies or custom domains; empty means taken from each request.
    /// </summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>Largest request body accepted for forwarding; larger bodies get a 413 envelope. <value>The default is 1 MiB.</value></summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Longest request target (path and query) answered with an envelope rather than refused by the server itself;
    /// longer ones get <c>InvalidRequest</c> with status 414. <value>The default is 8,000 characters.</value>
    /// </summary>
    public int MaxRequestTargetLength { get; set; } = 8_000;

    /// <summary>
    /// Largest total of request header names and values; more gets <c>InvalidRequest</c> with status 431.
    /// <value>The default is 32 KiB.</value>
    /// </summary>
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>
    /// Upstream response bodies held in memory at once, across all calls and jobs; a call whose body would pass it is
    /// answered ServiceUnavailable. <value>The default is 256 MiB.</value>
    /// </summary>
    public long MaxBufferedResponseBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Memory the response cache may hold in each instance, across all upstreams (measured as the kept envelopes'
    /// JSON). An answer that would go beyond it is not kept, and the cache then makes room, least recently used answers
    /// first. <value>The default is 64 MiB.</value>
    /// </summary>
    public long ResponseCacheBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Where callers' user tokens come from and what they must say; needed when an upstream uses <see cref="CredentialType.OnBehalfOf"/>.</summary>
    public UserTokenOptions UserTokens { get; set; } = new();

    /// <summary>
    /// Caller keys for hosts that check them themselves (the Server host): name → key, sent as
    /// <c>x-functions-key</c> or <c>?code=</c>. The Functions host uses its own function keys instead.
    /// </summary>
    public Dictionary<string, string> FunctionKeys { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Development only: one self-signed certificate (PEM or base64 DER) that the token client accepts from the
    /// identity provider, e.g. the simulator's for <c>func start</c>. Refused at start-up outside the Development
    /// environment; never accepts any other certificate. <value>Empty by default.</value>
    /// </summary>
    public string? DevelopmentTrustedCertificate { get; set; }

    /// <summary>Asynchronous jobs (start + poll) for work longer than a connector waits.</summary>
    public JobOptions Jobs { get; set; } = new();

    /// <summary>Named upstream APIs; the name is the <c>{upstream}</c> route segment.</summary>
    public Dictionary<string, UpstreamOptions> Upstreams { get; } = new(StringComparer.OrdinalIgnoreCase);
}
