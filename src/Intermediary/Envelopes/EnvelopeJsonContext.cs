using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Intermediary.Envelopes;

/// <summary>Source-generated serializer for the envelope: camelCase, enums as strings, nulls written.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(Envelope))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(string))]
public sealed partial class EnvelopeJsonContext : JsonSerializerContext;

/// <summary>
/// How responses are written: the generated metadata, but without escaping apostrophes and non-ASCII text
/// (bodies are application/json, never embedded in HTML), so makers read "Item '42' was not found."
/// </summary>
public static class EnvelopeJson
{
    private static readonly Lazy<EnvelopeJsonContext> s_relaxed = new(() => new EnvelopeJsonContext(
        new JsonSerializerOptions(EnvelopeJsonContext.Default.Options)
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));

    public static JsonTypeInfo<Envelope> Envelope => s_relaxed.Value.Envelope;

    // Where an idle writer points between responses (nothing is ever written to it), so it holds no response.
    private static readonly System.Buffers.ArrayBufferWriter<byte> s_detached = new(1);

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Writes the envelope into <paramref name="output"/> synchronously, with this thread's reused writer (the same
    /// escaping as <see cref="Envelope"/>): no per-response writer, no asynchronous serializer state.
    /// </summary>
    internal static void Write(System.Buffers.IBufferWriter<byte> output, Envelope envelope)
    {
        // The writer's escaping is taken from the serializer options above, so the two ways of writing cannot drift.
        var writer = t_writer ??= new Utf8JsonWriter(s_detached, new JsonWriterOptions { Encoder = Envelope.Options.Encoder });
        writer.Reset(output);
        try
        {
            JsonSerializer.Serialize(writer, envelope, Envelope);
            writer.Flush();
        }
        finally
        {
            writer.Reset(s_detached);
        }
    }
}
