using System.Net;
using System.Net.Sockets;
using Intermediary.Envelopes;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Intermediary.Upstream;

/// <summary>What an upstream outcome means for the caller: the envelope's code, source, status and message.</summary>
internal sealed record Classification(
    bool Ok,
    int Status,
    EnvelopeCode Code,
    EnvelopeSource? Source,
    bool Retryable,
    string Message,
    TimeSpan? RetryAfter,
    RawJson? Data,
    UpstreamDetails? Upstream,
    bool TokenRejected);

/// <summary>
/// Turns any upstream response or transport failure into a <see cref="Classification"/>. APIM's own errors are
/// recognised by shape and status + text pattern (never exact text), so they are reported as the gateway's.
/// </summary>
internal static class ErrorClassifier
{
    private static readonly string[] s_requestIdHeaders = ["x-ms-request-id", "apim-request-id", "x-request-id", "request-id", "x-correlation-request-id"];

    public static Classification Classify(UpstreamResponse response, DateTimeOffset now)
    {
        var status = response.StatusCode;
        var requestId = RequestId(response.Headers);
        if (response.BodyTooLarge)
        {
            return new(false, 502, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend, false,
                "The upstream response is larger than this service accepts (MaxResponseBodyBytes).",
                null, null, new UpstreamDetails(status, response.ContentType, null, null, requestId), false);
        }

        var body = ResponseBody.Parse(response.ContentType, response.Body);
        var error = body.Json is { } json && status >= 300 ? UpstreamError.FromJson(json.Element) : UpstreamError.None;
        var upstreamMessage = error.Message ?? (body.Kind == BodyKind.Text && status >= 300 ? ResponseBody.Excerpt(body.Text) : null);
        var details = new UpstreamDetails(status, response.ContentType, error.Code, upstreamMessage, requestId);
        var retryAfter = RetryAfter.FromHeaders(response.Headers, now) ?? RetryAfter.FromMessage(error.Message);

        if (status is >= 200 and < 300 or 304)
        {
            return Success(response, body, details, status);
        }

        var gateway = error.Shape == ErrorShape.Gateway;
        var source = gateway ? EnvelopeSource.Gateway : EnvelopeSource.Backend;
        var (code, retryable) = CodeFor(status, error, gateway);
        var tokenRejected = status == 401 && code != EnvelopeCode.SubscriptionKeyInvalid && LooksLikeTokenRejection(response, error);

        if (body.Kind == BodyKind.Html || body.Kind == BodyKind.InvalidJson)
        {
            code = EnvelopeCode.InvalidResponse;
        }

        var message = MessageFor(code, status, body, upstreamMessage);
        return new(false, MirroredStatus(status), code, source, retryable, message, retryAfter,
            body.Json, details, tokenRejected);
    }

    public static Classification Classify(Exception exception, string upstreamName)
    {
        return exception switch
        {
            BrokenCircuitException broken => new(false, 503, EnvelopeCode.CircuitOpen, EnvelopeSource.Intermediary, true,
                $"Calls to upstream '{upstreamName}' are paused after repeated failures; try again shortly.",
                broken.RetryAfter ?? TimeSpan.FromSeconds(5), null, null, false),
            TimeoutRejectedException timeout => new(false, 504, EnvelopeCode.Timeout, EnvelopeSource.Network, true,
                $"The upstream did not answer within {timeout.Timeout.TotalSeconds:0.#} s.", null, null, null, false),
            ResponseBuffersExhaustedException => new(false, 503, EnvelopeCode.ServiceUnavailable, EnvelopeSource.Intermediary, true,
                "This service is holding too many large upstream responses at once; try again shortly.", TimeSpan.FromSeconds(5), null, null, false),
            HttpRequestException http => Network(NetworkMessage(http)),
            IOException => Network("The connection to the upstream was closed before a complete response was received."),
            _ => new(false, 500, EnvelopeCode.InternalError, EnvelopeSource.Intermediary, false,
                "An unexpected error occurred while calling the upstream.", null, null, null, false),
        };
    }

    /// <summary>True for failures that are worth another attempt (the method's idempotency is checked elsewhere).</summary>
    public static bool IsTransient(Exception exception) => exception is HttpRequestException or IOException or TimeoutRejectedException;

    /// <summary>A transport failure that happened before any byte of the request could reach the upstream.</summary>
    public static bool RequestNeverSent(Exception exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError };

    private static Classification Success(UpstreamResponse response, ResponseBody body, UpstreamDetails details, int status)
    {
        // 204/304 cannot carry our JSON envelope, so the caller sees 200 with data:null.
        var envelopeStatus = status is 204 or 205 or 304 ? 200 : status;
        return body.Kind switch
        {
            BodyKind.Json => new(true, envelopeStatus, EnvelopeCode.Ok, EnvelopeSource.Backend, false, "OK", null, body.Json, details, false),
            BodyKind.Empty => new(true, envelopeStatus, EnvelopeCode.Ok, EnvelopeSource.Backend, false,
                status == 304 ? "Not modified." : "OK", null, null, details, false),
            BodyKind.Text => new(true, envelopeStatus, EnvelopeCode.Ok, EnvelopeSource.Backend, false, "OK", null,
                RawJson.String(body.Text!), details, false),
            BodyKind.Binary => new(true, envelopeStatus, EnvelopeCode.Ok, EnvelopeSource.Backend, false,
                $"Binary content ({response.Body.Length} bytes), base64-encoded in data.", null,
                RawJson.String(Convert.ToBase64String(response.Body.Span)), details, false),
            BodyKind.Html => new(false, 502, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend, false,
                $"The upstream returned an HTML page instead of JSON (HTTP {status}): {body.Text ?? "(empty page)"}", null, null, details, false),
            _ => new(false, 502, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend, false,
                $"The upstream said JSON but sent a body that is not valid JSON (HTTP {status}).", null, null, details, false),
        };
    }

    /// <summary>The first non-empty request id header, in the order of <see cref="s_requestIdHeaders"/>.</summary>
    private static string? RequestId(IReadOnlyDictionary<string, string> headers)
    {
        foreach (var name in s_requestIdHeaders)
        {
            if (headers.GetValueOrDefault(name) is { Length: > 0 } value)
            {
                return value;
            }
        }

        return null;
    }

    private static (EnvelopeCode Code, bool Retryable) CodeFor(int status, UpstreamError error, bool gateway)
    {
        var text = error.Message ?? "";
        if (gateway)
        {
            if (status == 401 && text.Contains("subscription key", StringComparison.OrdinalIgnoreCase))
            {
                return (EnvelopeCode.SubscriptionKeyInvalid, false);
            }

            if (status == 403 && text.Contains("quota", StringComparison.OrdinalIgnoreCase))
            {
                return (EnvelopeCode.QuotaExceeded, false);
            }
        }

        return status switch
        {
            400 or 422 when error.HasValidationErrors || status == 422 => (EnvelopeCode.ValidationFailed, false),
            400 => (EnvelopeCode.BadRequest, false),
            401 => (EnvelopeCode.Unauthorized, false),
            403 => (EnvelopeCode.Forbidden, false),
            404 or 410 => (EnvelopeCode.NotFound, false),
            408 => (EnvelopeCode.Timeout, true),
            409 or 412 => (EnvelopeCode.Conflict, false),
            413 => (EnvelopeCode.PayloadTooLarge, false),
            429 => (EnvelopeCode.RateLimited, true),
            500 => (EnvelopeCode.UpstreamError, true),
            502 => (EnvelopeCode.BadGateway, true),
            503 => (EnvelopeCode.ServiceUnavailable, true),
            504 => (EnvelopeCode.GatewayTimeout, true),
            >= 400 and < 500 => (EnvelopeCode.BadRequest, false),
            // A redirect that was not followed, another 5xx, or a status outside HTTP's range.
            _ => (EnvelopeCode.UpstreamError, false),
        };
    }

    /// <summary>
    /// The status a caller sees in status mode. A 401 from upstream means our credential was refused, not the
    /// caller's: passing it on would make Power Platform ask the maker to fix their connection, so it is a 502.
    /// </summary>
    private static int MirroredStatus(int status) => status switch
    {
        401 => 502,
        >= 400 and <= 599 => status,
        _ => 502,
    };

    private static bool LooksLikeTokenRejection(UpstreamResponse response, UpstreamError error)
    {
        if (response.Headers.TryGetValue("WWW-Authenticate", out var challenge) && challenge.Contains("invalid_token", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var text = error.Message ?? "";
        return text.Contains("JWT", StringComparison.OrdinalIgnoreCase) || text.Contains("token", StringComparison.OrdinalIgnoreCase);
    }

    private static string MessageFor(EnvelopeCode code, int status, ResponseBody body, string? upstreamMessage) => code switch
    {
        EnvelopeCode.InvalidResponse when body.Kind == BodyKind.Html =>
            $"The upstream returned an HTML page instead of JSON (HTTP {status}): {body.Text ?? "(empty page)"}",
        EnvelopeCode.InvalidResponse => $"The upstream returned a body that is not valid JSON (HTTP {status}).",
        _ when upstreamMessage is not null => ResponseBody.Excerpt(upstreamMessage)!,
        EnvelopeCode.RateLimited => "The upstream is rate limiting calls; wait and try again.",
        EnvelopeCode.ServiceUnavailable => "The upstream is temporarily unavailable.",
        EnvelopeCode.GatewayTimeout => "The upstream gateway timed out.",
        EnvelopeCode.BadGateway => "The upstream gateway could not reach its backend.",
        EnvelopeCode.NotFound => "The upstream could not find the requested resource.",
        EnvelopeCode.Unauthorized => "The upstream refused this service's credentials.",
        EnvelopeCode.Forbidden => "The upstream does not allow this operation for this service.",
        _ => $"The upstream answered HTTP {status} ({(HttpStatusCode)status}).",
    };

    private static Classification Network(string message) =>
        new(false, 502, EnvelopeCode.NetworkError, EnvelopeSource.Network, true, message, null, null, null, false);

    private static string NetworkMessage(HttpRequestException exception) => exception.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => "The upstream host name could not be resolved.",
        HttpRequestError.ConnectionError when exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } =>
            "The upstream refused the connection.",
        HttpRequestError.ConnectionError => "Could not connect to the upstream.",
        HttpRequestError.SecureConnectionError => "The TLS connection to the upstream could not be established.",
        HttpRequestError.ResponseEnded => "The upstream closed the connection before a complete response was received.",
        HttpRequestError.InvalidResponse => "The upstream sent a malformed HTTP response.",
        _ when exception.InnerException is IOException or SocketException =>
            "The upstream closed the connection before a complete response was received.",
        _ => "The connection to the upstream failed.",
    };
}
