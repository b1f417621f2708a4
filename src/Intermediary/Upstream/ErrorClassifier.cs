using System.Net;
using System.Net.Sockets;
using Intermediary.Envelopes;
using Microsoft.AspNetCore.Http;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Intermediary.Upstream;

/// <summary>
/// Turns any upstream response or transport failure into a <see cref="Classification"/>. APIM's own errors are
/// recognised by shape and status + text pattern (never exact text), so they are reported as the gateway's.
/// </summary>
internal static class ErrorClassifier
{
    /// <summary>When to come back after a refusal of ours that names no time of its own (an open circuit without a break end, full buffers).</summary>
    private static readonly TimeSpan s_comeBackShortly = TimeSpan.FromSeconds(5);
    private static readonly string[] s_requestIdHeaders = ["x-ms-request-id", "apim-request-id", "x-request-id", "request-id", "x-correlation-request-id"];

    public static Classification Classify(UpstreamResponse response, DateTimeOffset now)
    {
        var status = response.StatusCode;
        var requestId = RequestId(response.Headers);
        if (response.BodyTooLarge)
        {
            return Classification.UpstreamFailure(StatusCodes.Status502BadGateway, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend,
                "The upstream response is larger than this service accepts (MaxResponseBodyBytes).",
                new UpstreamDetails(status, response.ContentType, null, null, requestId), retryable: false);
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
        var code = CodeFor(status, error, gateway);
        var tokenRejected = status == 401 && code != EnvelopeCode.SubscriptionKeyInvalid && LooksLikeTokenRejection(response, error);

        if (body.Kind == BodyKind.Html || body.Kind == BodyKind.InvalidJson)
        {
            code = EnvelopeCode.InvalidResponse;
        }

        var message = MessageFor(code, status, body, upstreamMessage);
        return Classification.UpstreamFailure(MirroredStatus(status), code, source, message, details,
            retryable: ResiliencePredicates.IsTransient(status), retryAfter, body.Json, tokenRejected);
    }

    public static Classification Classify(Exception exception, string upstreamName)
    {
        return exception switch
        {
            BrokenCircuitException broken => Classification.Failure(EnvelopeCode.CircuitOpen, EnvelopeSource.Intermediary,
                $"Calls to upstream '{upstreamName}' are paused after repeated failures; try again shortly.",
                retryable: true, retryAfter: broken.RetryAfter ?? s_comeBackShortly),
            TimeoutRejectedException timeout => Classification.Failure(EnvelopeCode.Timeout, EnvelopeSource.Network,
                $"The upstream did not answer within {timeout.Timeout.TotalSeconds:0.#} s.", retryable: true),
            ResponseBuffersExhaustedException => Classification.Failure(EnvelopeCode.ServiceUnavailable, EnvelopeSource.Intermediary,
                "This service is holding too many large upstream responses at once; try again shortly.", retryable: true, retryAfter: s_comeBackShortly),
            HttpRequestException http => Network(NetworkMessage(http)),
            IOException => Network("The connection to the upstream was closed before a complete response was received."),
            _ => Classification.Failure(EnvelopeCode.InternalError, EnvelopeSource.Intermediary,
                "An unexpected error occurred while calling the upstream.", retryable: false),
        };
    }

    private static Classification Success(UpstreamResponse response, ResponseBody body, UpstreamDetails details, int status)
    {
        // 204/304 cannot carry our JSON envelope, so the caller sees 200 with data:null.
        var envelopeStatus = status is 204 or 205 or 304 ? 200 : status;
        return body.Kind switch
        {
            BodyKind.Json => Classification.Success(envelopeStatus, "OK", body.Json, details),
            BodyKind.Empty => Classification.Success(envelopeStatus, status == 304 ? "Not modified." : "OK", data: null, details),
            BodyKind.Text => Classification.Success(envelopeStatus, "OK", RawJson.String(body.Text!), details),
            BodyKind.Binary => Classification.Success(envelopeStatus, $"Binary content ({response.Body.Length} bytes), base64-encoded in data.",
                RawJson.String(Convert.ToBase64String(response.Body.Span)), details),
            BodyKind.Html => Classification.UpstreamFailure(StatusCodes.Status502BadGateway, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend,
                HtmlPageMessage(status, body), details, retryable: false),
            _ => Classification.UpstreamFailure(StatusCodes.Status502BadGateway, EnvelopeCode.InvalidResponse, EnvelopeSource.Backend,
                $"The upstream said JSON but sent a body that is not valid JSON (HTTP {status}).", details, retryable: false),
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

    /// <summary>The envelope code for an upstream failure; whether it is retryable is the status's alone (<see cref="ResiliencePredicates.IsTransient(int)"/>).</summary>
    private static EnvelopeCode CodeFor(int status, UpstreamError error, bool gateway)
    {
        var text = error.Message ?? "";
        if (gateway)
        {
            if (status == StatusCodes.Status401Unauthorized && text.Contains("subscription key", StringComparison.OrdinalIgnoreCase))
            {
                return EnvelopeCode.SubscriptionKeyInvalid;
            }

            if (status == StatusCodes.Status403Forbidden && text.Contains("quota", StringComparison.OrdinalIgnoreCase))
            {
                return EnvelopeCode.QuotaExceeded;
            }
        }

        return status switch
        {
            400 or 422 when error.HasValidationErrors || status == 422 => EnvelopeCode.ValidationFailed,
            400 => EnvelopeCode.BadRequest,
            401 => EnvelopeCode.Unauthorized,
            403 => EnvelopeCode.Forbidden,
            404 or 410 => EnvelopeCode.NotFound,
            408 => EnvelopeCode.Timeout,
            409 or 412 => EnvelopeCode.Conflict,
            413 => EnvelopeCode.PayloadTooLarge,
            429 => EnvelopeCode.RateLimited,
            500 => EnvelopeCode.UpstreamError,
            502 => EnvelopeCode.BadGateway,
            503 => EnvelopeCode.ServiceUnavailable,
            504 => EnvelopeCode.GatewayTimeout,
            >= 400 and < 500 => EnvelopeCode.BadRequest,
            // A redirect that was not followed, another 5xx, or a status outside HTTP's range.
            _ => EnvelopeCode.UpstreamError,
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
        EnvelopeCode.InvalidResponse when body.Kind == BodyKind.Html => HtmlPageMessage(status, body),
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

    /// <summary>An HTML page where JSON was expected (a gateway's or web server's error page), with the page's text.</summary>
    private static string HtmlPageMessage(int status, ResponseBody body) =>
        $"The upstream returned an HTML page instead of JSON (HTTP {status}): {body.Text ?? "(empty page)"}";

    private static Classification Network(string message) =>
        Classification.Failure(EnvelopeCode.NetworkError, EnvelopeSource.Network, message, retryable: true);

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
