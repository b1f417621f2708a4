namespace Intermediary.Configuration;

/// <summary>
/// Where callers' user tokens come from and what they must say, for upstreams called on behalf of the signed-in user.
/// </summary>
public sealed class UserTokenOptions
{
    /// <summary>
    /// The authority that issues the users' tokens, e.g. <c>https://login.microsoftonline.com/{tenant}/v2.0</c>; its
    /// OpenID Connect metadata (<c>/.well-known/openid-configuration</c>) names the issuer and the signing keys.
    /// </summary>
    public Uri? Authority { get; set; }

    /// <summary>The directory (tenant) id every user's token must carry as <c>tid</c>.</summary>
    public string? TenantId { get; set; }

    /// <summary>
    /// Accepted audiences (<c>aud</c>): this service's client id, which v2.0 tokens always carry, and its Application
    /// ID URI if v1.0 tokens are accepted too.
    /// </summary>
    public IList<string> Audiences { get; } = [];

    /// <summary>The delegated scope every token must carry in <c>scp</c>. <value>The default is <c>access_as_user</c>.</value></summary>
    public string RequiredScope { get; set; } = "access_as_user";

    /// <summary>Allowed difference between the issuer's clock and ours. <value>The default is 2 minutes.</value></summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Memory for the users' exchanged tokens kept between calls (MSAL's user token cache, one entry per distinct user
    /// token): when it is full, new entries are not kept and compaction drops the least recently used, so a burst of
    /// users costs exchanges, never unbounded memory. Jobs' long-running sessions are kept in the job store instead.
    /// <value>The default is 32 MiB.</value>
    /// </summary>
    public long CacheBytes { get; set; } = 32L * 1024 * 1024;
}
