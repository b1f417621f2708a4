using System.Globalization;
using System.Text;
using Intermediary.Simulator.Api;
using Intermediary.Simulator.Gateway;

namespace Intermediary.Simulator.Faults;

/// <summary>GET /demo/faults/*: the upstream misbehaviour a client of APIM has to survive.</summary>
internal sealed class FaultEndpoints(SimulatorOptions options, FlakyCounters flaky, RateLimitWindows rateLimits)
{
    private const string TruncatedJson = """{"items":[{"id":1,"name":"trunc""";

    private const string BadGatewayHtml = """
        <!DOCTYPE html>
        <html>
        <head>
        <title>502 Bad Gateway</title>
        <style>
          body { font-family: Segoe UI, Helvetica, Arial, sans-serif; margin: 40px; color: #333; }
          h1 { font-size: 24px; color: #c00; }
          p { font-size: 14px; }
        </style>
        </head>
        <body>
        <h1>502 - Web server received an invalid response while acting as a gateway or proxy server.</h1>
        <p>There is a problem with the page you are looking for, and it cannot be displayed. When the Web server
        (while acting as a gateway or proxy) contacted the upstream content server, it received an invalid response.</p>
        </body>
        </html>
        """;

    public RequestDelegate? Match(string method, ReadOnlySpan<string> segments)
    {
        // flaky also takes POST: a write that fails transiently is what retry safety (Idempotency-Key) is about.
        if (!HttpMethods.IsGet(method) && !(HttpMethods.IsPost(method) && segments is ["flaky"]))
        {
            return null;
        }

        return segments switch
        {
            ["status", var code] => context => StatusAsync(context, code),
            ["flaky"] => FlakyAsync,
            ["html"] => HtmlAsync,
            ["slow"] => SlowAsync,
            ["reset"] => ResetConnectionAsync,
            ["invalid-json"] => InvalidJsonAsync,
            ["ratelimit"] => RateLimitAsync,
            ["quota"] => QuotaAsync,
            ["text"] => TextAsync,
            ["empty"] => EmptyAsync,
            _ => null,
        };
    }

    private static Task StatusAsync(HttpContext context, string code)
    {
        if (!int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || !IsFinalStatus(status))
        {
            return ApiErrors.InvalidParameterAsync(context, "The status code must be between 200 and 599.");
        }

        if (!TryReadOptionalInt(context, "retryAfter", out var retryAfter))
        {
            return ApiErrors.InvalidParameterAsync(context, "retryAfter must be a whole number of seconds.");
        }

        return SimulatedStatusAsync(context, status, retryAfter);
    }

    private Task FlakyAsync(HttpContext context)
    {
        if (!TryReadOptionalInt(context, "failures", out var failures)
            || !TryReadOptionalInt(context, "status", out var status)
            || !TryReadOptionalInt(context, "retryAfter", out var retryAfter)
            || (status is { } s && !IsFinalStatus(s)))
        {
            return ApiErrors.InvalidParameterAsync(context, "failures, status (200-599) and retryAfter must be whole numbers.");
        }

        var key = context.Request.Query["key"].ToString() is { Length: > 0 } k ? k : "default";
        var calls = flaky.Next(key);
        if (calls <= (failures ?? 1))
        {
            return SimulatedStatusAsync(context, status ?? StatusCodes.Status503ServiceUnavailable, retryAfter);
        }

        return ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new FlakyResult(key, calls), GatewayJsonContext.Literal.FlakyResult);
    }

    private static Task HtmlAsync(HttpContext context) =>
        WriteTextAsync(context, StatusCodes.Status502BadGateway, "text/html; charset=utf-8", BadGatewayHtml);

    private async Task SlowAsync(HttpContext context)
    {
        var text = context.Request.Query["seconds"].ToString();
        var seconds = 1d;
        if (text.Length > 0
            && (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) || !double.IsFinite(seconds) || seconds < 0))
        {
            await ApiErrors.InvalidParameterAsync(context, "seconds must be a non-negative number.");
            return;
        }

        // The options' clock, so a test with a fake clock decides when the wait is over.
        await Task.Delay(TimeSpan.FromSeconds(seconds), options.TimeProvider, context.RequestAborted);
        await ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new SlowResult(seconds), GatewayJsonContext.Literal.SlowResult);
    }

    private static Task ResetConnectionAsync(HttpContext context)
    {
        context.Abort();
        return Task.CompletedTask;
    }

    private static Task InvalidJsonAsync(HttpContext context) =>
        WriteTextAsync(context, StatusCodes.Status200OK, "application/json; charset=utf-8", TruncatedJson);

    private Task RateLimitAsync(HttpContext context)
    {
        // The gateway has already checked the key, so it is present here.
        var key = SubscriptionKey.Read(context.Request) ?? string.Empty;
        var decision = rateLimits.Acquire(key, options.TimeProvider.GetUtcNow(), options.RateLimitCalls, options.RateLimitPeriod);
        if (decision.Allowed)
        {
            return ApimResponses.WriteJsonAsync(
                context,
                StatusCodes.Status200OK,
                new RateLimitResult(decision.Remaining),
                GatewayJsonContext.Literal.RateLimitResult);
        }

        return ApimResponses.WriteRateLimitedAsync(context, decision.RetryAfter);
    }

    // APIM's quota-by-key with a daily renewal period: the quota comes back at the next UTC midnight.
    private Task QuotaAsync(HttpContext context)
    {
        var now = options.TimeProvider.GetUtcNow();
        var renewal = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero) - now;
        var seconds = Math.Clamp((long)renewal.TotalSeconds, 1, 86_399);
        var remaining = TimeSpan.FromSeconds(seconds);
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return ApimResponses.WriteErrorAsync(
            context,
            StatusCodes.Status403Forbidden,
            $"Out of call volume quota. Quota will be replenished in {remaining:hh\\:mm\\:ss}.");
    }

    private static Task TextAsync(HttpContext context) =>
        WriteTextAsync(context, StatusCodes.Status200OK, "text/plain; charset=utf-8", "plain text body");

    private static Task EmptyAsync(HttpContext context)
    {
        if (!TryReadOptionalInt(context, "status", out var status) || (status is { } s && !IsFinalStatus(s)))
        {
            return ApiErrors.InvalidParameterAsync(context, "status must be between 200 and 599.");
        }

        context.Response.StatusCode = status ?? StatusCodes.Status500InternalServerError;
        context.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static Task SimulatedStatusAsync(HttpContext context, int status, int? retryAfter)
    {
        if (retryAfter is { } seconds)
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (status is StatusCodes.Status204NoContent or StatusCodes.Status205ResetContent or StatusCodes.Status304NotModified)
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }

        var body = new AzureErrorResponse(new AzureError("Simulated", $"Simulated status {status}."));
        return ApimResponses.WriteJsonAsync(context, status, body, GatewayJsonContext.Literal.AzureErrorResponse);
    }

    private static async Task WriteTextAsync(HttpContext context, int status, string contentType, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    private static bool TryReadOptionalInt(HttpContext context, string name, out int? value)
    {
        value = null;
        var text = context.Request.Query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    private static bool IsFinalStatus(int status) => status is >= 200 and <= 599;
}
