using System.Text.Json;

namespace Intermediary.Envelopes;

/// <summary>
/// One JSON value kept as the validated UTF-8 bytes it arrived in, parsed into a <see cref="JsonElement"/> only when
/// something reads it. A successful upstream body goes into the envelope's <c>data</c> byte for byte, so the common
/// path checks the JSON once and never builds a document for it.
/// </summary>
internal sealed class RawJson
{
    private object? _element;

    private RawJson(ReadOnlyMemory<byte> utf8) => Utf8 = utf8;

    /// <summary>The value's bytes, without the whitespace around it.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>The value as an element, parsed on first use (a race parses twice and keeps one: both are equal).</summary>
    public JsonElement Element => (JsonElement)(_element ??= JsonElement.Parse(Utf8.Span));

    /// <summary>
    /// The one JSON value in <paramref name="utf8"/>, or null when it is not exactly one valid value. Accepts what
    /// <see cref="JsonElement.Parse(ReadOnlySpan{byte}, JsonDocumentOptions)"/> with default options accepts (the
    /// same reader does the checking): no comments, no trailing commas, depth at most 64.
    /// </summary>
    public static RawJson? TryRead(ReadOnlyMemory<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8.Span);
        try
        {
            // On a final block the first Read either lands on a value or throws (empty or whitespace-only input).
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var end = (int)reader.BytesConsumed;
            // Anything but whitespace after the value makes the reader throw here.
            return reader.Read() ? null : new RawJson(utf8[start..end]);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A JSON string of <paramref name="value"/>, escaped as the envelope escapes its strings.</summary>
    public static RawJson String(string value) => new(JsonSerializer.SerializeToUtf8Bytes(value, EnvelopeJsonContext.Default.String));
}
