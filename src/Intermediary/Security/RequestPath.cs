using System.Buffers;
using Intermediary.Envelopes;

namespace Intermediary.Security;

/// <summary>
/// Decides whether a caller-supplied path may be forwarded, and builds the upstream URL from validated segments
/// only, so the request that leaves is exactly the one that was checked (no traversal, no host or scheme change).
/// </summary>
internal static class RequestPath
{
    private static readonly string[] s_encodedTraversal = ["%2e", "%2f", "%5c", "%00"];

    /// <summary>Checks the route's path (already percent-decoded by the server) and, when known, the raw request target.</summary>
    public static PathCheck Check(string? decodedPath, string? rawTarget, IReadOnlyList<string> allowedPrefixes)
    {
        var path = "/" + (decodedPath ?? "").TrimStart('/');
        if ((decodedPath ?? "").StartsWith('/'))
        {
            // The route value starts after ".../{upstream}/", so a leading '/' is an empty segment ("//").
            return PathCheck.Rejected(EnvelopeCode.InvalidRequest, "The path must not contain empty segments ('//').");
        }

        if (rawTarget is not null && RawTargetProblem(rawTarget) is { } rawProblem)
        {
            return PathCheck.Rejected(EnvelopeCode.InvalidRequest, rawProblem);
        }

        if (DecodedPathProblem(path) is { } problem)
        {
            return PathCheck.Rejected(EnvelopeCode.InvalidRequest, problem);
        }

        foreach (var prefix in allowedPrefixes)
        {
            if (IsUnder(path, prefix))
            {
                return PathCheck.Allowed(path);
            }
        }

        return PathCheck.Rejected(EnvelopeCode.PathNotAllowed, $"The path '{path}' is not allowed for this upstream.");
    }

    /// <summary>
    /// Checks a URL an upstream handed back (an operation's <c>Operation-Location</c>/<c>Location</c> or result
    /// location) exactly as a caller's path would be: on the upstream's own scheme, host and port, under its base
    /// path, free of traversal in the form it was given, and inside the allowlist. One host (APIM) serves many APIs,
    /// so being on the right host is not enough. The result carries the path and query to rebuild the URL from.
    /// </summary>
    public static LocationCheck CheckLocation(Uri baseUrl, string location, IReadOnlyList<string> allowedPrefixes)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(location);
        if (!Uri.TryCreate(baseUrl, location, out var url))
        {
            return LocationCheck.Refused("The upstream pointed to an operation URL that is not a valid URL; it is not followed.");
        }

        if (url.Scheme != baseUrl.Scheme || !string.Equals(url.Host, baseUrl.Host, StringComparison.OrdinalIgnoreCase) || url.Port != baseUrl.Port
            || !string.IsNullOrEmpty(url.UserInfo))
        {
            return LocationCheck.Refused("The upstream pointed to an operation on another host; it is not followed (only the upstream's own host is).");
        }

        // Uri has already resolved dot segments; judge the location as it was written, as a caller's raw target is.
        if (RawTargetProblem(RawPathOf(location)) is { } raw)
        {
            return LocationCheck.Refused($"The upstream pointed to an operation URL that is not followed: {raw}");
        }

        var basePath = baseUrl.AbsolutePath.EndsWith('/') ? baseUrl.AbsolutePath : baseUrl.AbsolutePath + "/";
        if (!url.AbsolutePath.StartsWith(basePath, StringComparison.Ordinal))
        {
            return LocationCheck.Refused("The upstream pointed to an operation outside its own base path; it is not followed.");
        }

        var check = Check(Uri.UnescapeDataString(url.AbsolutePath[basePath.Length..]), null, allowedPrefixes);
        return check.IsAllowed
            ? new LocationCheck(check.Path, string.IsNullOrEmpty(url.Query) ? null : url.Query, null)
            : LocationCheck.Refused($"The upstream pointed to an operation the service may not follow: {check.Message}");
    }

    /// <summary>The path of a relative or absolute URL as written, in origin form (query and fragment removed).</summary>
    private static string RawPathOf(string location)
    {
        var path = location;
        var scheme = path.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && path.AsSpan(0, scheme).IndexOfAny('/', '?', '#') < 0)
        {
            var afterAuthority = path.IndexOf('/', scheme + 3);
            path = afterAuthority < 0 ? "/" : path[afterAuthority..];
        }

        var end = path.IndexOfAny(['?', '#']);
        path = end >= 0 ? path[..end] : path;
        return path.StartsWith('/') ? path : "/" + path;
    }

    public static bool IsValidAllowedPrefix(string? prefix) =>
        !string.IsNullOrEmpty(prefix) && prefix[0] == '/' && prefix.IndexOfAny(['%', '?', '#', '\\']) < 0
        && DecodedPathProblem(prefix.Length > 1 ? prefix.TrimEnd('/') : prefix) is null;

    /// <summary>What <see cref="Uri.EscapeDataString(string)"/> leaves as is (RFC 3986's unreserved characters), and the separator.</summary>
    private static readonly SearchValues<char> s_unreservedOrSlash =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/");

    /// <summary>Joins the base URL and a checked path, escaping each segment again.</summary>
    public static Uri Combine(Uri baseUrl, string checkedPath, string? query)
    {
        var basePath = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl.AbsoluteUri : baseUrl.AbsoluteUri + "/";
        var relative = checkedPath.TrimStart('/');
        // Most paths have nothing to escape: then escaping each segment would give the same text, so skip the split.
        var escaped = relative.AsSpan().ContainsAnyExcept(s_unreservedOrSlash)
            ? string.Join('/', relative.Split('/').Select(Uri.EscapeDataString))
            : relative;
        return new Uri(string.Concat(basePath, escaped, query));
    }

    /// <summary>Whether a checked path is under an allowlist-style prefix (segment-aware; <c>/</c> covers everything).</summary>
    public static bool IsUnder(string path, string prefix)
    {
        if (prefix == "/")
        {
            return true;
        }

        // "/items" allows "/items" and everything below it; "/items/" only what is below it.
        if (prefix.EndsWith('/'))
        {
            return path.StartsWith(prefix, StringComparison.Ordinal) && path.Length > prefix.Length;
        }

        return path.Equals(prefix, StringComparison.Ordinal)
            || (path.StartsWith(prefix, StringComparison.Ordinal) && path[prefix.Length] == '/');
    }

    /// <summary>Why the raw request target (path as sent, before any decoding) is unacceptable, or null.</summary>
    public static string? RawTargetProblem(string rawTarget)
    {
        if (!rawTarget.StartsWith('/'))
        {
            return "Only origin-form request targets (a path starting with '/') are accepted.";
        }

        // Spans over the caller's text: checking every call's target allocates nothing.
        var queryStart = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var rawPath = queryStart >= 0 ? rawTarget.AsSpan(0, queryStart) : rawTarget.AsSpan();
        if (rawPath.Contains('\\'))
        {
            return "The path must not contain backslashes.";
        }

        foreach (var encoded in s_encodedTraversal)
        {
            if (rawPath.Contains(encoded, StringComparison.OrdinalIgnoreCase))
            {
                return "The path must not contain encoded dots, slashes, backslashes or NUL.";
            }
        }

        if (HasDotSegment(rawPath))
        {
            return "The path must not contain '.' or '..' segments.";
        }

        var afterRoute = rawPath[1..].IndexOf("//", StringComparison.Ordinal);
        return afterRoute >= 0 ? "The path must not contain empty segments ('//')." : null;
    }

    private static bool HasDotSegment(ReadOnlySpan<char> path)
    {
        foreach (var range in path.Split('/'))
        {
            if (path[range] is "." or "..")
            {
                return true;
            }
        }

        return false;
    }

    private static string? DecodedPathProblem(string path)
    {
        foreach (var c in path)
        {
            if (char.IsControl(c))
            {
                return "The path must not contain control characters.";
            }
        }

        if (path.Contains('\\', StringComparison.Ordinal))
        {
            return "The path must not contain backslashes.";
        }

        if (path.Contains("//", StringComparison.Ordinal))
        {
            return "The path must not contain empty segments ('//').";
        }

        for (var i = 0; i + 2 < path.Length; i++)
        {
            // A percent escape that survived the server's decoding was encoded twice: a classic filter bypass.
            if (path[i] == '%' && Uri.IsHexDigit(path[i + 1]) && Uri.IsHexDigit(path[i + 2]))
            {
                return "The path must not contain percent-encoded sequences after decoding (double encoding).";
            }
        }

        if (HasDotSegment(path))
        {
            return "The path must not contain '.' or '..' segments.";
        }

        // The segment after the first '/' (the whole path when it has none: then there is no such segment).
        var first = path.AsSpan();
        var slash = first.IndexOf('/');
        if (slash >= 0)
        {
            first = first[(slash + 1)..];
            var end = first.IndexOf('/');
            if ((end >= 0 ? first[..end] : first).Contains(':'))
            {
                return "The path must not be an absolute URL or contain a scheme.";
            }
        }

        return null;
    }
}

/// <summary>Outcome of <see cref="RequestPath.Check"/>: the normalized path, or why it was refused.</summary>
internal sealed record PathCheck(bool IsAllowed, string Path, EnvelopeCode Code, string Message)
{
    public static PathCheck Allowed(string path) => new(true, path, EnvelopeCode.Ok, "");

    public static PathCheck Rejected(EnvelopeCode code, string message) => new(false, "", code, message);
}

/// <summary>Outcome of <see cref="RequestPath.CheckLocation"/>: the checked path and raw query to follow, or why not.</summary>
internal sealed record LocationCheck(string? Path, string? Query, string? Problem)
{
    public static LocationCheck Refused(string problem) => new(null, null, problem);
}
