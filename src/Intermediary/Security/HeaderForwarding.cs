using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Security;

/// <summary>Which caller headers reach the upstream: an allowlist, minus headers the service owns.</summary>
internal static class HeaderForwarding
{
    /// <summary>Used when an upstream configures no <c>ForwardedHeaders</c>.</summary>
    public static readonly IReadOnlyList<string> Defaults =
        ["Accept", "Accept-Language", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "Prefer"];

    private static readonly HashSet<string> s_neverForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Host", CallerKeys.HeaderName, UpstreamClient.SubscriptionKeyHeader,
        "Ocp-Apim-Trace", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Expect",
        "TE", "Trailer", "Proxy-Connection", "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
        CorrelationIdHeader, "traceparent", "tracestate", "X-Error-Mode",
    };

    private const string CorrelationIdHeader = "x-correlation-id";

    public static bool IsNeverForwarded(string header) => s_neverForwarded.Contains(header);

    /// <summary>The caller's headers that may be forwarded, with their values.</summary>
    public static List<KeyValuePair<string, string>> Select(IHeaderDictionary incoming, IReadOnlyList<string> configured)
    {
        var allowed = configured.Count == 0 ? Defaults : configured;
        var selected = new List<KeyValuePair<string, string>>();
        // By index: a foreach over the interface would allocate an enumerator on every call.
        for (var i = 0; i < allowed.Count; i++)
        {
            var name = allowed[i];
            if (!IsNeverForwarded(name) && incoming.TryGetValue(name, out var values))
            {
                foreach (var value in values)
                {
                    if (value is not null)
                    {
                        selected.Add(new(name, value));
                    }
                }
            }
        }

        return selected;
    }
}
