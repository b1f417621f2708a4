using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Intermediary.Security;

/// <summary>
/// Takes the service's own credentials out of what an upstream sent back. Debug endpoints, echo services and
/// some error pages reflect request headers, which would hand our bearer token and subscription key to every
/// caller (and store them in job results). Two passes: every literal occurrence of a credential in the raw bytes
/// (any content type), then, for JSON that may hide one (escaped characters, a credential-shaped header echo),
/// the parsed strings.
/// </summary>
internal static partial class CredentialEchoes
{
    /// <summary>What a removed credential is replaced with.</summary>
    public const string Marker = "[redacted]";

    private static readonly byte[] s_marker = Encoding.UTF8.GetBytes(Marker);

    // Cheap byte probes for JSON worth parsing: every credential header name's echo (as .NET and most servers spell
    // them) or escapes. A probe only decides whether to parse, so a missing one hides an echo; an extra one costs time.
    private static readonly byte[][] s_jsonProbes =
    [
        .. new[] { "uthorization", "UTHORIZATION", "ubscription-key", "UBSCRIPTION-KEY", "unctions-key", "UNCTIONS-KEY", "\\u" }
            .Select(Encoding.UTF8.GetBytes),
    ];

    private static readonly HashSet<string> s_credentialHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Ocp-Apim-Subscription-Key", CallerKeys.HeaderName,
    };

    /// <summary>
    /// The body with every credential in <paramref name="credentials"/> removed, and how many were. Returns the same
    /// memory when there was nothing to remove. Credentials shorter than 8 characters are ignored (they would match
    /// ordinary text; no real token or key is that short).
    /// </summary>
    public static (ReadOnlyMemory<byte> Body, int Count) Redact(ReadOnlyMemory<byte> body, IReadOnlyList<string?> credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        if (body.IsEmpty)
        {
            return (body, 0);
        }

        // Runs on every upstream answer: by index, without closures, each credential encoded into a pooled buffer.
        var count = 0;
        for (var i = 0; i < credentials.Count; i++)
        {
            var secret = credentials[i];
            if (secret is not { Length: >= 8 })
            {
                continue;
            }

            var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(secret.Length));
            try
            {
                (body, var replaced) = ReplaceAll(body, utf8.AsSpan(0, Encoding.UTF8.GetBytes(secret, utf8)));
                count += replaced;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(utf8);
            }
        }

        if (LooksLikeJson(body.Span) && ContainsProbe(body.Span))
        {
            var secrets = credentials.Where(c => c is { Length: >= 8 }).Select(c => c!).Distinct(StringComparer.Ordinal).ToList();
            (body, var inJson) = RedactJson(body, secrets);
            count += inJson;
        }

        return (body, count);
    }

    private static (ReadOnlyMemory<byte> Body, int Count) ReplaceAll(ReadOnlyMemory<byte> body, ReadOnlySpan<byte> secret)
    {
        var rest = body.Span;
        var index = rest.IndexOf(secret);
        if (index < 0)
        {
            return (body, 0);
        }

        var output = new ArrayBufferWriter<byte>(body.Length);
        var count = 0;
        for (; index >= 0; index = rest.IndexOf(secret))
        {
            output.Write(rest[..index]);
            output.Write(s_marker);
            rest = rest[(index + secret.Length)..];
            count++;
        }

        output.Write(rest);
        return (output.WrittenMemory, count);
    }

    private static (ReadOnlyMemory<byte> Body, int Count) RedactJson(ReadOnlyMemory<byte> body, List<string> secrets)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body.Span);
        }
        catch (JsonException)
        {
            // Not JSON after all: the literal pass above is all that applies; the classifier reports the bad body.
            return (body, 0);
        }

        var count = Walk(root, null, secrets);
        return count == 0 ? (body, 0) : (JsonSerializer.SerializeToUtf8Bytes(root, CredentialEchoJsonContext.Default.JsonNode), count);
    }

    private static int Walk(JsonNode? node, string? propertyName, List<string> secrets)
    {
        switch (node)
        {
            case JsonObject obj:
                var count = 0;
                foreach (var (name, child) in obj.ToList())
                {
                    if (child is JsonValue value && value.TryGetValue<string>(out var text) && IsCredentialEcho(name, text))
                    {
                        obj[name] = Marker;
                        count++;
                    }
                    else
                    {
                        count += Walk(child, name, secrets);
                    }
                }

                return count;
            case JsonArray array:
                var inArray = 0;
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue item && item.TryGetValue<string>(out var text) && propertyName is not null && IsCredentialEcho(propertyName, text))
                    {
                        array[i] = Marker;
                        inArray++;
                    }
                    else
                    {
                        inArray += Walk(array[i], null, secrets);
                    }
                }

                return inArray;
            case JsonValue leaf when leaf.TryGetValue<string>(out var text) && secrets.Any(s => text.Contains(s, StringComparison.Ordinal)):
                var redacted = secrets.Aggregate(text, (current, secret) => current.Replace(secret, Marker, StringComparison.Ordinal));
                leaf.ReplaceWith(JsonValue.Create(redacted));
                return 1;
            default:
                return 0;
        }
    }

    /// <summary>
    /// A reflected credential header: the subscription or function key under its own name, or an Authorization value
    /// with an authentication scheme (a JSON field that merely happens to be called "authorization" is left alone).
    /// </summary>
    private static bool IsCredentialEcho(string name, string value) =>
        s_credentialHeaders.Contains(name) && !value.Contains(Marker, StringComparison.Ordinal)
        && (!name.EndsWith("authorization", StringComparison.OrdinalIgnoreCase) || AuthorizationValue().IsMatch(value));

    private static bool ContainsProbe(ReadOnlySpan<byte> body)
    {
        foreach (var probe in s_jsonProbes)
        {
            if (body.IndexOf(probe) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static bool LooksLikeJson(ReadOnlySpan<byte> body)
    {
        var trimmed = body.TrimStart(" \t\r\n\uFEFF"u8);
        return !trimmed.IsEmpty && trimmed[0] is (byte)'{' or (byte)'[';
    }

    [GeneratedRegex(@"^\s*(Bearer|Basic|Digest|Negotiate|NTLM|PoP|SharedKey|SharedAccessSignature)\s+\S", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AuthorizationValue();
}

[System.Text.Json.Serialization.JsonSerializable(typeof(JsonNode))]
internal sealed partial class CredentialEchoJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
