using System.Globalization;
using System.Text.RegularExpressions;

namespace Intermediary.Upstream;

/// <summary>
/// How long the upstream asked us to wait: <c>Retry-After</c> (seconds or HTTP-date), Azure's
/// <c>retry-after-ms</c>/<c>x-ms-retry-after-ms</c>, or APIM's "Try again in N seconds." text.
/// </summary>
internal static partial class RetryAfter
{
    public static TimeSpan? FromHeaders(IReadOnlyDictionary<string, string> headers, DateTimeOffset now)
    {
        foreach (var name in (ReadOnlySpan<string>)["retry-after-ms", "x-ms-retry-after-ms"])
        {
            if (headers.TryGetValue(name, out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
            {
                return TimeSpan.FromMilliseconds(millis);
            }
        }

        if (!headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(Math.Min(seconds, int.MaxValue));
        }

        if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>APIM's rate-limit text ("Try again in 12 seconds.") and quota text ("replenished in 01:02:03").</summary>
    public static TimeSpan? FromMessage(string? message)
    {
        if (string.IsNullOrEmpty(message))
        {
            return null;
        }

        var seconds = TryAgainPattern().Match(message);
        if (seconds.Success && int.TryParse(seconds.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return TimeSpan.FromSeconds(n);
        }

        var replenished = ReplenishedPattern().Match(message);
        return replenished.Success && TimeSpan.TryParse(replenished.Groups[1].Value, CultureInfo.InvariantCulture, out var span) ? span : null;
    }

    /// <summary>Whole seconds for the envelope and the Retry-After response header, never less than 1.</summary>
    public static int ToSeconds(TimeSpan wait) => (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 1, int.MaxValue);

    [GeneratedRegex(@"try again in (\d+) second", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TryAgainPattern();

    [GeneratedRegex(@"replenished in ((?:\d+\.)?\d{1,2}:\d{2}:\d{2})", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReplenishedPattern();
}
