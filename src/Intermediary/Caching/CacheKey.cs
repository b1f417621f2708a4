using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Intermediary.Upstream;

namespace Intermediary.Caching;

/// <summary>
/// What makes two calls the same question: method, checked path, query (parameters sorted by name, repeated names
/// kept in order), the forwarded headers that can change the answer, and the caller's partition when answers vary by
/// caller. Hashed, so a key is short, holds no caller key and no control character (HybridCache neither caches nor
/// coalesces keys with those, or keys longer than its limit).
/// </summary>
internal static class CacheKey
{
    // Forwarded headers that never change a GET's answer: they only matter to writes.
    private static readonly HashSet<string> s_notVarying = new(StringComparer.OrdinalIgnoreCase) { "Idempotency-Key", "Content-Type" };

    public static string For(UpstreamRequest request, string? partition)
    {
        var material = new StringBuilder(256);
        Append(material, request.Method.Method);
        Append(material, request.Path);
        foreach (var parameter in QueryParameters(request.Query))
        {
            Append(material, parameter);
        }

        Append(material, "|headers");
        foreach (var (name, value) in request.Headers.Where(h => !s_notVarying.Contains(h.Key))
            .OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
        {
            Append(material, name.ToLowerInvariant());
            Append(material, value);
        }

        Append(material, "|caller");
        Append(material, partition ?? "");

        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(material.ToString()), hash);
        return $"ic1:{request.Upstream}:{Base64Url.EncodeToString(hash)}";
    }

    /// <summary>The query's parameters, sorted by name (ordinal, stable: values of a repeated name keep their order).</summary>
    internal static IEnumerable<string> QueryParameters(string? query) =>
        string.IsNullOrEmpty(query)
            ? []
            : query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                .OrderBy(parameter => parameter.Split('=', 2)[0], StringComparer.Ordinal);

    // Length-prefixed, so no choice of values can make two different questions read the same.
    private static void Append(StringBuilder material, string part) =>
        material.Append(part.Length).Append(':').Append(part).Append('\n');
}
