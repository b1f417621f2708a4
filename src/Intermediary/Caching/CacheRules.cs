using System.Net.Http.Headers;
using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Security;
using Intermediary.Upstream;

namespace Intermediary.Caching;

/// <summary>Which calls go through the cache, which answers may be kept and for how long, and which failures a kept answer may stand in for.</summary>
internal static class CacheRules
{
    // A conditional or partial request asks a question about the caller's own copy: never answer it from ours.
    private static readonly string[] s_conditionalHeaders = ["If-None-Match", "If-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range", "Range"];

    /// <summary>Whether the call goes through the cache: a GET or HEAD under a configured path, unconditional, and with a caller key when answers vary by caller.</summary>
    public static bool Applies(UpstreamRequest request, CacheOptions cache, string? callerKey) =>
        cache.Paths.Count > 0
        && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head)
        && cache.Paths.Any(prefix => RequestPath.IsUnder(request.Path, prefix))
        && !request.Headers.Any(h => s_conditionalHeaders.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
        && (!cache.VaryByCaller || !string.IsNullOrEmpty(callerKey));

    /// <summary>
    /// How long the answer may be served without asking again, or null when it must not be kept: only a GET's 200 with
    /// a JSON body within the size limit, without <c>Set-Cookie</c> or <c>Vary: *</c>, not marked <c>no-store</c> or
    /// <c>no-cache</c> (nor <c>private</c> unless answers vary by caller); the configured time to live, shortened by the
    /// upstream's <c>s-maxage</c>/<c>max-age</c> less its <c>Age</c>.
    /// </summary>
    public static TimeSpan? FreshFor(UpstreamRequest request, UpstreamCallResult result, CacheOptions cache)
    {
        if (request.Method != HttpMethod.Get || result is not { Envelope.Ok: true, Response: { StatusCode: 200 } response }
            || !IsJson(response.ContentType) || response.Body.Length > cache.MaxEntryBytes
            || response.Headers.ContainsKey("Set-Cookie")
            || (response.Headers.TryGetValue("Vary", out var vary) && vary.Contains('*', StringComparison.Ordinal)))
        {
            return null;
        }

        var freshFor = cache.Ttl;
        if (response.Headers.TryGetValue("Cache-Control", out var header))
        {
            if (!CacheControlHeaderValue.TryParse(header, out var control) || control.NoStore || control.NoCache
                || (control.Private && !cache.VaryByCaller))
            {
                return null;
            }

            if ((control.SharedMaxAge ?? control.MaxAge) is { } maxAge)
            {
                var age = response.Headers.TryGetValue("Age", out var ageText) && int.TryParse(ageText, out var seconds) && seconds > 0
                    ? TimeSpan.FromSeconds(seconds)
                    : TimeSpan.Zero;
                freshFor = TimeSpan.FromTicks(Math.Min(freshFor.Ticks, (maxAge - age).Ticks));
            }
        }

        return freshFor > TimeSpan.Zero ? freshFor : null;
    }

    /// <summary>
    /// Failures a kept answer may stand in for: the upstream (or its gateway) answered 429 or 5xx, timed out, could not
    /// be reached, its circuit is open, or no token could be had for a reason that may pass. Never the caller's own
    /// cancellation, and never an answer about the request itself (4xx).
    /// </summary>
    public static bool MayServeStale(Envelope envelope) =>
        !envelope.Ok && envelope.Status != ResiliencePredicates.CallerCanceledStatus && (envelope.Upstream?.Status is 429 or >= 500
            || envelope.Code is EnvelopeCode.RateLimited or EnvelopeCode.Timeout or EnvelopeCode.GatewayTimeout
                or EnvelopeCode.NetworkError or EnvelopeCode.CircuitOpen or EnvelopeCode.ServiceUnavailable or EnvelopeCode.BadGateway
            || (envelope.Code == EnvelopeCode.TokenAcquisitionFailed && envelope.Retryable));

    private static bool IsJson(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType is { } type
        && (type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
}
