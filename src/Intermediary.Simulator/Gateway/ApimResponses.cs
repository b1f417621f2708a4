using System.Text.Json.Serialization.Metadata;

namespace Intermediary.Simulator.Gateway;

/// <summary>APIM's own error body, e.g. <c>{"statusCode":401,"message":"JWT not present."}</c>.</summary>
internal sealed record ApimError(int StatusCode, string Message);

internal static class ApimResponses
{
    public static Task WriteErrorAsync(HttpContext context, int statusCode, string message) =>
        WriteJsonAsync(context, statusCode, new ApimError(statusCode, message), GatewayJsonContext.Literal.ApimError);

    /// <summary>APIM's rate-limit answer: 429, Retry-After in whole seconds (at least 1), and the seconds in the message.</summary>
    public static Task WriteRateLimitedAsync(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteErrorAsync(context, StatusCodes.Status429TooManyRequests, $"Rate limit is exceeded. Try again in {seconds} seconds.");
    }

    public static Task WriteJsonAsync<T>(HttpContext context, int statusCode, T value, JsonTypeInfo<T> typeInfo, string? contentType = null)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(value, typeInfo, contentType, context.RequestAborted);
    }
}
