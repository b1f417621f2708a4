using System.Text;

namespace Intermediary.Security;

/// <summary>Caller-supplied text made safe to quote in a message or a log line.</summary>
internal static class UntrustedText
{
    private const int MaxLength = 64;

    /// <summary>Printable ASCII kept, anything else (line breaks, controls, non-ASCII, quotes) shown as '?', at most 64 characters.</summary>
    public static string Printable(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "(empty)";
        }

        var shown = text.AsSpan(0, Math.Min(text.Length, MaxLength));
        var builder = new StringBuilder(shown.Length + 1);
        foreach (var c in shown)
        {
            builder.Append(c is >= ' ' and <= '~' and not '\'' ? c : '?');
        }

        return text.Length > MaxLength ? builder.Append('…').ToString() : builder.ToString();
    }
}
