namespace Intermediary.Configuration;

/// <summary>
/// Opt-in response cache for an upstream's safe reads (<c>Intermediary:Upstreams:{name}:Cache</c>): identical
/// concurrent GET/HEAD calls under <see cref="Paths"/> share one upstream request, successful JSON answers are kept
/// for <see cref="Ttl"/>, and an older answer stands in when the upstream fails. The cache lives in each instance's
/// memory: instances do not share it, and nothing in it is ever written to a distributed cache.
/// </summary>
public sealed class CacheOptions
{
    /// <summary>Default <see cref="Ttl"/>: 10 seconds.</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(10);

    /// <summary>Default <see cref="MaxEntryBytes"/>: 256 KiB.</summary>
    public const long DefaultMaxEntryBytes = 256 * 1024;

    /// <summary>The longest <see cref="Ttl"/>: a connector gives up after about two minutes, and an answer kept for hours belongs in the API's own cache.</summary>
    public static readonly TimeSpan LongestTtl = TimeSpan.FromHours(1);

    /// <summary>The longest <see cref="StaleIfError"/>: one day.</summary>
    public static readonly TimeSpan LongestStaleIfError = TimeSpan.FromDays(1);

    /// <summary>
    /// Path prefixes whose GET/HEAD calls go through the cache, matched like <see cref="UpstreamOptions.AllowedPaths"/>
    /// (<c>/items</c> covers <c>/items</c> and below). <value>Empty by default: nothing is cached.</value>
    /// </summary>
    public List<string> Paths { get; } = [];

    /// <summary>
    /// How long a successful answer is served without asking the upstream again; the upstream's
    /// <c>Cache-Control: max-age</c> (or <c>s-maxage</c>) shortens it, never lengthens it. At most 1 hour. <value>The default is 10 seconds.</value>
    /// </summary>
    public TimeSpan Ttl { get; set; } = DefaultTtl;

    /// <summary>
    /// How long past <see cref="Ttl"/> a kept answer may still stand in when the upstream answers 429 or 5xx, times out,
    /// cannot be reached or its circuit is open (the envelope says <c>cache.stale: true</c>); at most 1 day. <value>The default is zero: never.</value>
    /// </summary>
    public TimeSpan StaleIfError { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Keeps each caller's answers apart (partitioned by the caller's key), for APIs whose answer depends on who asks;
    /// it also allows answers marked <c>Cache-Control: private</c> to be kept. Calls without a key are not cached then.
    /// <value>The default is false: callers share answers.</value>
    /// </summary>
    public bool VaryByCaller { get; set; }

    /// <summary>
    /// Largest answer body kept; larger answers are passed on but not kept (<see cref="UpstreamOptions.MaxResponseBodyBytes"/>
    /// applies first: a larger body never arrives). <value>The default is 256 KiB.</value>
    /// </summary>
    public long MaxEntryBytes { get; set; } = DefaultMaxEntryBytes;
}
