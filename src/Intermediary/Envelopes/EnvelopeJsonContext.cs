using System.Text.Json;
using System.Text.Json.Serialization;

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
