using Microsoft.AspNetCore.Http;

namespace Intermediary.Envelopes;

/// <summary>How failures reach the caller: always HTTP 200 (canvas apps) or the failure's own status (flows, code).</summary>
public enum ErrorMode
{
    /// <summary>HTTP 200 with <c>ok:false</c>; custom connectors hide non-2xx bodies from canvas apps.</summary>
    Body,

    /// <summary>The HTTP status mirrors the failure.</summary>
    Status,
}

internal static class ErrorModeSelector
{
    public const string HeaderName = "X-Error-Mode";
    public const string QueryName = "errorMode";

    public static ErrorMode Select(HttpRequest request, ErrorMode fallback)
    {
        string? requested = request.Headers[HeaderName];
        if (string.IsNullOrWhiteSpace(requested))
        {
            requested = request.Query[QueryName];
        }

        return requested?.Trim().ToUpperInvariant() switch
        {
            "BODY" => ErrorMode.Body,
            "STATUS" => ErrorMode.Status,
            _ => fallback,
        };
    }
}
