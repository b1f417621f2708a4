using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Intermediary.Envelopes;

namespace Intermediary.Upstream;

/// <summary>What kind of body the upstream sent, decided from content type and content.</summary>
internal enum BodyKind
{
    Empty,
    Json,
    InvalidJson,
    Html,
    Text,
    Binary,
}

/// <summary>A parsed upstream body: JSON as its checked bytes, text as a string, HTML as a markup-free excerpt.</summary>
internal sealed partial record ResponseBody(BodyKind Kind, RawJson? Json, string? Text)
{
    private const int TextLimit = 300;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static ResponseBody Parse(string? contentType, ReadOnlyMemory<byte> body)
    {
        if (body.IsEmpty)
        {
            return new(BodyKind.Empty, null, null);
        }

        // The media type without parameters, compared without allocating (this runs on every answer).
        var media = contentType.AsSpan();
        media = (media.IndexOf(';') is var semicolon and >= 0 ? media[..semicolon] : media).Trim();
        var span = body.Span;
        var first = FirstNonWhitespace(span);
        var looksJson = media.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
            || (media.Length == 0 && first is (byte)'{' or (byte)'[');
        if (looksJson)
        {
            // Checked, not parsed: a success goes into data as these bytes, and only an error body is read as a
            // document. A UTF-8 byte order mark, which some servers put first, is not JSON: the reader would refuse
            // the whole body for it.
            var json = RawJson.TryRead(span.StartsWith(Utf8Bom) ? body[Utf8Bom.Length..] : body);
            return json is null
                ? new(BodyKind.InvalidJson, null, Excerpt(DecodeText(span)))
                : new(BodyKind.Json, json, null);
        }

        if (media.Equals("text/html", StringComparison.OrdinalIgnoreCase) || media.Equals("application/xhtml+xml", StringComparison.OrdinalIgnoreCase)
            || (first == (byte)'<' && LooksLikeHtml(span)))
        {
            return new(BodyKind.Html, null, Excerpt(HtmlToText(DecodeText(span))));
        }

        if (media.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || media.Length == 0 || media.EndsWith("/xml", StringComparison.OrdinalIgnoreCase))
        {
            var text = DecodeText(span);
            return text is null ? new(BodyKind.Binary, null, null) : new(BodyKind.Text, null, text);
        }

        return new(BodyKind.Binary, null, null);
    }

    /// <summary>A short, single-line piece of text fit for a user-facing message.</summary>
    public static string? Excerpt(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var collapsed = Whitespace().Replace(text, " ").Trim();
        return collapsed.Length > TextLimit ? collapsed[..TextLimit].TrimEnd() + "…" : collapsed;
    }

    private static string? DecodeText(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static string? HtmlToText(string? html)
    {
        if (html is null)
        {
            return null;
        }

        var title = HtmlTitle().Match(html);
        var withoutBlocks = ScriptOrStyle().Replace(html, " ");
        withoutBlocks = HtmlTitle().Replace(withoutBlocks, " ");
        var text = WebUtility.HtmlDecode(Tags().Replace(withoutBlocks, " "));
        // Collapsed like the text, so a page that starts with its title is recognised whatever the spacing.
        var titleText = title.Success ? Whitespace().Replace(WebUtility.HtmlDecode(Tags().Replace(title.Groups[1].Value, " ")), " ").Trim() : "";
        text = Whitespace().Replace(text, " ").Trim();
        return titleText.Length > 0 && !text.StartsWith(titleText, StringComparison.Ordinal) ? $"{titleText}: {text}" : text;
    }

    private static bool LooksLikeHtml(ReadOnlySpan<byte> span)
    {
        var head = Encoding.ASCII.GetString(span[..Math.Min(span.Length, 512)]);
        return head.Contains("<html", StringComparison.OrdinalIgnoreCase) || head.Contains("<!doctype html", StringComparison.OrdinalIgnoreCase)
            || head.Contains("<body", StringComparison.OrdinalIgnoreCase) || head.Contains("<head", StringComparison.OrdinalIgnoreCase);
    }

    private static byte FirstNonWhitespace(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or 0xEF or 0xBB or 0xBF))
            {
                return b;
            }
        }

        return 0;
    }

    [GeneratedRegex(@"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex ScriptOrStyle();

    [GeneratedRegex(@"<title\b[^>]*>(.*?)</title\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex HtmlTitle();

    [GeneratedRegex(@"<!--.*?-->|<[^>]*>", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Tags();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();
}
