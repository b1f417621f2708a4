using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Security;

/// <summary>
/// The Server host's stand-in for Functions' function keys: <c>x-functions-key</c> header or <c>code</c> query,
/// compared in constant time against every configured key, so one connector definition works on either host.
/// </summary>
internal static class CallerKeys
{
    public const string HeaderName = "x-functions-key";
    public const string QueryName = "code";

    /// <summary>The key the caller sent: the header if present, else the query parameter.</summary>
    public static string? Offered(HttpRequest request)
    {
        string? offered = request.Headers[HeaderName];
        return string.IsNullOrEmpty(offered) ? request.Query[QueryName] : offered;
    }

    public static bool IsAuthorized(HttpRequest request, IReadOnlyCollection<string> keys)
    {
        var offered = Offered(request);
        if (string.IsNullOrEmpty(offered) || keys.Count == 0)
        {
            return false;
        }

        var offeredBytes = Encoding.UTF8.GetBytes(offered);
        var matched = false;
        foreach (var key in keys)
        {
            // No early exit: the time taken must not tell which key, or how much of one, matched.
            matched |= CryptographicOperations.FixedTimeEquals(offeredBytes, Encoding.UTF8.GetBytes(key));
        }

        return matched;
    }
}
