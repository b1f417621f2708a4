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
            WriteEnvelope(writer, envelope);
            writer.Flush();
        }
        finally
        {
            writer.Reset(s_detached);
        }
    }

    /// <summary>
    /// The envelope written field by field, in the serializer's order, names and formats. The generated serializer
    /// has no fast path for <see cref="Intermediary.Envelopes.Envelope"/> (its enums and <c>data</c> have converters), so it
    /// walks property metadata for every response; this does not. A test holds it byte-for-byte equal to
    /// <see cref="Envelope"/> over every code, source and field shape; the nested records use their generated fast paths.
    /// </summary>
    internal static void WriteEnvelope(Utf8JsonWriter writer, Envelope envelope)
    {
        writer.WriteStartObject();
        writer.WriteBoolean(s_ok, envelope.Ok);
        writer.WriteNumber(s_status, envelope.Status);
        writer.WritePropertyName(s_code);
        WriteEnum(writer, envelope.Code, s_codes);
        writer.WriteString(s_message, envelope.Message);
        writer.WritePropertyName(s_source);
        if (envelope.Source is { } source)
        {
            WriteEnum(writer, source, s_sources);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteBoolean(s_retryable, envelope.Retryable);
        WriteNumberOrNull(writer, s_retryAfterSeconds, envelope.RetryAfterSeconds);
        writer.WriteNumber(s_attempts, envelope.Attempts);
        writer.WriteNumber(s_durationMs, envelope.DurationMs);
        writer.WriteString(s_correlationId, envelope.CorrelationId);
        writer.WritePropertyName(s_data);
        if (envelope.RawData is { } raw)
        {
            writer.WriteRawValue(raw.Utf8.Span, skipInputValidation: true);
        }
        else if (envelope.Data is { } data)
        {
            writer.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(data), skipInputValidation: true);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WritePropertyName(s_upstream);
        JsonSerializer.Serialize(writer, envelope.Upstream, s_relaxed.Value.UpstreamDetails);
        writer.WritePropertyName(s_job);
        JsonSerializer.Serialize(writer, envelope.Job, s_relaxed.Value.JobDetails);
        writer.WritePropertyName(s_cache);
        JsonSerializer.Serialize(writer, envelope.Cache, s_relaxed.Value.CacheDetails);
        writer.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, JsonEncodedText name, int? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteEnum<TEnum>(Utf8JsonWriter writer, TEnum value, Dictionary<TEnum, JsonEncodedText> names)
        where TEnum : struct, Enum
    {
        if (names.TryGetValue(value, out var name))
        {
            writer.WriteStringValue(name);
        }
        else
        {
            // Not a declared member (a cast integer): whatever the serializer writes for it.
            JsonSerializer.Serialize(writer, value, (JsonTypeInfo<TEnum>)s_relaxed.Value.GetTypeInfo(typeof(TEnum))!);
        }
    }

    /// <summary>Each member's name as the serializer writes it (so <c>[JsonStringEnumMemberName]</c> applies), encoded once.</summary>
    private static Dictionary<TEnum, JsonEncodedText> EnumNames<TEnum>()
        where TEnum : struct, Enum
    {
        var typeInfo = (JsonTypeInfo<TEnum>)EnvelopeJsonContext.Default.GetTypeInfo(typeof(TEnum))!;
        return Enum.GetValues<TEnum>().ToDictionary(value => value, value => JsonEncodedText.Encode(
            JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(value, typeInfo), EnvelopeJsonContext.Default.String)!,
            Envelope.Options.Encoder));
    }

    private static readonly Dictionary<EnvelopeCode, JsonEncodedText> s_codes = EnumNames<EnvelopeCode>();
    private static readonly Dictionary<EnvelopeSource, JsonEncodedText> s_sources = EnumNames<EnvelopeSource>();
    private static readonly JsonEncodedText s_ok = JsonEncodedText.Encode("ok");
    private static readonly JsonEncodedText s_status = JsonEncodedText.Encode("status");
    private static readonly JsonEncodedText s_code = JsonEncodedText.Encode("code");
    private static readonly JsonEncodedText s_message = JsonEncodedText.Encode("message");
    private static readonly JsonEncodedText s_source = JsonEncodedText.Encode("source");
    private static readonly JsonEncodedText s_retryable = JsonEncodedText.Encode("retryable");
    private static readonly JsonEncodedText s_retryAfterSeconds = JsonEncodedText.Encode("retryAfterSeconds");
    private static readonly JsonEncodedText s_attempts = JsonEncodedText.Encode("attempts");
    private static readonly JsonEncodedText s_durationMs = JsonEncodedText.Encode("durationMs");
    private static readonly JsonEncodedText s_correlationId = JsonEncodedText.Encode("correlationId");
    private static readonly JsonEncodedText s_data = JsonEncodedText.Encode("data");
    private static readonly JsonEncodedText s_upstream = JsonEncodedText.Encode("upstream");
    private static readonly JsonEncodedText s_job = JsonEncodedText.Encode("job");
    private static readonly JsonEncodedText s_cache = JsonEncodedText.Encode("cache");
}
