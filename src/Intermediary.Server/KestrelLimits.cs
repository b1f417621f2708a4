using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Intermediary.Server;

/// <summary>
/// Kestrel's own limits for the Server host, chosen so slow or oversized clients cannot starve other callers.
/// Configuration under <c>Kestrel:Limits</c> overrides each of them. The request line and
/// header limits sit above the service's own (<c>MaxRequestTargetLength</c>, <c>MaxRequestHeadersBytes</c>), so
/// requests between the two get an envelope and only larger ones get Kestrel's bare refusal.
/// </summary>
internal static class KestrelLimits
{
    /// <summary>Connections open at once; more are refused at accept. Slow clients cannot hold every slot.</summary>
    public const int MaxConcurrentConnections = 2_000;

    /// <summary>A client must send all its headers within this (Kestrel answers 408 and closes otherwise).</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Request line (method, target, version): twice the service's URL limit.</summary>
    public const int MaxRequestLineSize = 16 * 1024;

    /// <summary>All request headers: twice the service's header limit.</summary>
    public const int MaxRequestHeadersTotalSize = 64 * 1024;

    /// <summary>An idle kept-alive connection is closed after this.</summary>
    public static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Sets the defaults above, then whatever <c>Kestrel:Limits</c> in configuration says (e.g. <c>Kestrel__Limits__RequestHeadersTimeout</c>).</summary>
    public static void Apply(KestrelServerOptions kestrel, IConfiguration configuration)
    {
        var limits = kestrel.Limits;
        limits.MaxConcurrentConnections = MaxConcurrentConnections;
        limits.RequestHeadersTimeout = RequestHeadersTimeout;
        limits.MaxRequestLineSize = MaxRequestLineSize;
        limits.MaxRequestHeadersTotalSize = MaxRequestHeadersTotalSize;
        limits.KeepAliveTimeout = KeepAliveTimeout;
        // MinRequestBodyDataRate stays Kestrel's: 240 bytes/s after a 5 s grace period, then 408 (a Timeout envelope).
        configuration.GetSection("Kestrel:Limits").Bind(limits);
        kestrel.AddServerHeader = false;
    }
}
