using System.Text.Json;

namespace Intermediary.Upstream;

/// <summary>The error shapes upstreams use; which one decides the source and the message we show.</summary>
internal enum ErrorShape
{
    None,
    /// <summary>APIM's own <c>{"statusCode":N,"message":"..."}</c>.</summary>
    Gateway,
    /// <summary>Azure REST <c>{"error":{"code","message","innererror"}}</c>.</summary>
    Azure,
    /// <summary>RFC 9457 problem details (<c>title</c>, <c>detail</c>, <c>status</c>, <c>errors</c>).</summary>
    Problem,
    /// <summary>OAuth 2.0 <c>{"error":"...","error_description":"..."}</c>.</summary>
    OAuth,
    /// <summary>Some other JSON object with a <c>message</c> and maybe a <c>code</c>.</summary>
    Generic,
}

/// <summary>The code and message an upstream put in its error body, whichever shape it used.</summary>
internal sealed record UpstreamError(ErrorShape Shape, string? Code, string? Message, bool HasValidationErrors)
{
    public static readonly UpstreamError None = new(ErrorShape.None, null, null, false);

    public static UpstreamError FromJson(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return None;
        }

        if (json.TryGetProperty("statusCode", out var statusCode) && statusCode.ValueKind == JsonValueKind.Number
            && String(json, "message") is { } gatewayMessage)
        {
            return new(ErrorShape.Gateway, null, gatewayMessage, false);
        }

        if (json.TryGetProperty("error", out var error))
        {
            if (error.ValueKind == JsonValueKind.Object)
            {
                var inner = error.TryGetProperty("innererror", out var innerError) ? String(innerError, "code") : null;
                var code = String(error, "code");
                return new(ErrorShape.Azure, code ?? inner, String(error, "message"), error.TryGetProperty("details", out _));
            }

            if (error.ValueKind == JsonValueKind.String)
            {
                return new(ErrorShape.OAuth, error.GetString(), String(json, "error_description"), false);
            }
        }

        if (String(json, "title") is { } title && (json.TryGetProperty("status", out _) || json.TryGetProperty("type", out _)))
        {
            var hasErrors = json.TryGetProperty("errors", out var errors) && errors.ValueKind is JsonValueKind.Object or JsonValueKind.Array;
            var message = String(json, "detail") ?? title;
            if (hasErrors && FirstValidationError(errors) is { } first)
            {
                message = $"{message} {first}";
            }

            return new(ErrorShape.Problem, ProblemCode(String(json, "type")), message, hasErrors);
        }

        if (String(json, "message") is { } plain)
        {
            return new(ErrorShape.Generic, String(json, "code"), plain, false);
        }

        return None;
    }

    private static string? String(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>The last segment of a problem <c>type</c> URI, when it is a word rather than an RFC section link.</summary>
    private static string? ProblemCode(string? type)
    {
        if (string.IsNullOrEmpty(type) || type == "about:blank" || type.Contains("rfc", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var last = type.TrimEnd('/').Split('/', '#')[^1];
        return last.Length is > 0 and <= 64 ? last : null;
    }

    private static string? FirstValidationError(JsonElement errors)
    {
        if (errors.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in errors.EnumerateObject())
            {
                var text = field.Value.ValueKind == JsonValueKind.Array
                    ? field.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : null).FirstOrDefault(HasWords)
                    : field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString() : null;
                if (HasWords(text))
                {
                    return Sentence(text);
                }
            }
        }
        else if (errors.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in errors.EnumerateArray())
            {
                var text = item.ValueKind == JsonValueKind.String ? item.GetString() : String(item, "detail") ?? String(item, "message");
                if (HasWords(text))
                {
                    return Sentence(text);
                }
            }
        }

        return null;
    }

    /// <summary>A blank entry says nothing; the next one is used instead of adding a trailing space to the message.</summary>
    private static bool HasWords([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? text) => !string.IsNullOrWhiteSpace(text);

    private static string Sentence(string text)
    {
        var trimmed = text.Trim();
        return trimmed[^1] is '.' or '!' or '?' ? trimmed : trimmed + ".";
    }
}
