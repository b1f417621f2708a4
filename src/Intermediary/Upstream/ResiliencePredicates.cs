using Microsoft.AspNetCore.Http;
using Polly.Timeout;

namespace Intermediary.Upstream;

/// <summary>
/// The one place that says which upstream outcomes are transient (retry, classification) and which are the
/// upstream's trouble (circuit breaker), in the manner of Microsoft.Extensions.Http.Resilience's predicates.
/// </summary>
internal static class ResiliencePredicates
{
    /// <summary>
    /// Not an HTTP status of the protocol: the envelope's status when the caller went away before the answer
    /// (as nginx's "client closed request"). Never retried by us, never counted against the upstream.
    /// </summary>
    public const int CallerCanceledStatus = 499;

    /// <summary>
    /// Answers worth another attempt: a timeout, rate limiting, and the server errors that mean "not now"
    /// (500, 502, 503, 504). Other 5xx (501 Not Implemented, 505, …) are answers that another attempt will repeat.
    /// </summary>
    public static bool IsTransient(int status) => status is StatusCodes.Status408RequestTimeout
        or StatusCodes.Status429TooManyRequests
        or StatusCodes.Status500InternalServerError
        or StatusCodes.Status502BadGateway
        or StatusCodes.Status503ServiceUnavailable
        or StatusCodes.Status504GatewayTimeout;

    /// <summary>Transport failures worth another attempt (whether the method may be repeated is decided elsewhere).</summary>
    public static bool IsTransient(Exception exception) => exception is HttpRequestException or IOException or TimeoutRejectedException;

    /// <summary>
    /// Answers the circuit breaker counts as the upstream's trouble: a timeout and every 5xx. Rate limiting is a
    /// healthy "slow down" and 4xx are the request's fault, so neither opens the circuit.
    /// </summary>
    public static bool IsUpstreamFailure(int status) => status is StatusCodes.Status408RequestTimeout or >= StatusCodes.Status500InternalServerError;

    /// <summary>A transport failure that happened before any byte of the request could reach the upstream.</summary>
    public static bool RequestNeverSent(Exception exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError };

    /// <summary>
    /// An answer that says the request was not processed, so even a method that is not retry-safe may be sent
    /// again: a 429, or a 503 that names a time to come back.
    /// </summary>
    public static bool RequestNotProcessed(int status, TimeSpan? retryAfter) =>
        status == StatusCodes.Status429TooManyRequests || (status == StatusCodes.Status503ServiceUnavailable && retryAfter is not null);
}
