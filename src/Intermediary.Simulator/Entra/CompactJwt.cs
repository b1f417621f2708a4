using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Intermediary.Simulator.Entra;

/// <summary>The three parts of a compact-serialized JWS, decoded.</summary>
internal sealed record CompactJwt(JsonElement Header, JsonElement Payload, byte[] SigningInput, byte[] Signature)
{
    public string? Algorithm => GetString(Header, "alg");

    public static string Create(JsonObject header, JsonObject payload, Func<byte[], byte[]> sign)
    {
        var signingInput = Encode(header) + "." + Encode(payload);
        var signature = sign(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    public static bool TryParse(string? token, [NotNullWhen(true)] out CompactJwt? jwt)
    {
        jwt = null;
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        var parts = token.Split('.');
        if (parts.Length != 3
            || !TryDecodeJsonObject(parts[0], out var header)
            || !TryDecodeJsonObject(parts[1], out var payload)
            || !TryDecode(parts[2], out var signature))
        {
            return false;
        }

        jwt = new CompactJwt(header, payload, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature);
        return true;
    }

    public static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>Reads a NumericDate claim; MSAL writes "nbf" and "exp" of client assertions as strings, which Entra accepts.</summary>
    public static long? GetNumericDate(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var seconds) => seconds,
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) => seconds,
            _ => null,
        };
    }

    /// <summary>Reads a claim that may be a single string or an array of strings (as "aud" may be).</summary>
    public static IReadOnlyList<string> GetStrings(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return [];
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => [value.GetString()!],
            JsonValueKind.Array => [.. value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)],
            _ => [],
        };
    }

    private static string Encode(JsonObject json) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json.ToJsonString()));

    private static bool TryDecode(string text, [NotNullWhen(true)] out byte[]? bytes)
    {
        // TryDecodeFromChars throws on malformed input; it only returns false for a short destination.
        bytes = null;
        if (!Base64Url.IsValid(text, out var length))
        {
            return false;
        }

        bytes = new byte[length];
        return Base64Url.TryDecodeFromChars(text, bytes, out _);
    }

    private static bool TryDecodeJsonObject(string text, out JsonElement element)
    {
        element = default;
        if (text.Length == 0 || !TryDecode(text, out var bytes))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(bytes);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            element = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
