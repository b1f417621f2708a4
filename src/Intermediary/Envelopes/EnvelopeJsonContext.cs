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
}
