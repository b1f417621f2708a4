using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Intermediary.Envelopes;

/// <summary>
/// Writes a parsed JSON value as the bytes it was parsed from, instead of walking and re-encoding every token: the
/// upstream's data was validated when it was parsed, so its text goes into the envelope as is (for a 100 KiB body,
/// a copy instead of a re-serialisation). Reads like the default.
/// </summary>
internal sealed class RawJsonElementConverter : JsonConverter<JsonElement>
{
    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonElement.ParseValue(ref reader);

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
    }
}
