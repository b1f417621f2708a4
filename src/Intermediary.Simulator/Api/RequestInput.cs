using System.Globalization;
using System.Text.Json;

namespace Intermediary.Simulator.Api;

/// <summary>Query and body parsing shared by the demo API's simulated jobs and operations.</summary>
internal static class RequestInput
{
    public const string SecondsMessage = "seconds must be a non-negative number of at most 86400.";

    private const double MaxSeconds = 86_400;

    /// <summary>Reads the "seconds" query parameter, or <paramref name="fallback"/> when it is absent.</summary>
    public static bool TryReadSeconds(HttpContext context, double fallback, out TimeSpan duration)
    {
        var text = context.Request.Query["seconds"].ToString();
        var seconds = fallback;
        duration = default;
        if (text.Length > 0
            && (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || !double.IsFinite(seconds)))
        {
            return false;
        }

        if (seconds is < 0 or > MaxSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(seconds);
        return true;
    }

    /// <summary>Reads an optional boolean query parameter ("true"/"false", any case); absent is false.</summary>
    public static bool TryReadFlag(HttpContext context, string name, out bool value)
    {
        var text = context.Request.Query[name].ToString();
        value = false;
        return text.Length == 0 || bool.TryParse(text, out value);
    }

    /// <summary>The request's JSON body; Value is null when the body is empty or whitespace, Valid is false when it is not JSON.</summary>
    public static async Task<(bool Valid, JsonElement? Value)> ReadOptionalJsonAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length).Trim(" \t\r\n"u8);
        if (json.IsEmpty)
        {
            return (true, null);
        }

        try
        {
            return (true, JsonElement.Parse(json));
        }
        catch (JsonException)
        {
            return (false, null);
        }
    }
}
