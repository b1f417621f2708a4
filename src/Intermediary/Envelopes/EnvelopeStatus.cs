namespace Intermediary.Envelopes;

/// <summary>The HTTP status each code maps to when the service itself decides it.</summary>
internal static class EnvelopeStatus
{
    public static int For(EnvelopeCode code) => code switch
    {
        EnvelopeCode.Ok => 200,
        EnvelopeCode.Accepted => 202,
        EnvelopeCode.BadRequest or EnvelopeCode.ValidationFailed or EnvelopeCode.InvalidRequest => 400,
        EnvelopeCode.Unauthenticated or EnvelopeCode.InteractionRequired => 401,
        EnvelopeCode.Forbidden or EnvelopeCode.PathNotAllowed or EnvelopeCode.QuotaExceeded or EnvelopeCode.ConsentRequired => 403,
        EnvelopeCode.NotFound or EnvelopeCode.JobNotFound => 404,
        EnvelopeCode.MethodNotAllowed => 405,
        EnvelopeCode.Conflict => 409,
        EnvelopeCode.PayloadTooLarge => 413,
        EnvelopeCode.RateLimited => 429,
        EnvelopeCode.InternalError => 500,
        EnvelopeCode.ServiceUnavailable or EnvelopeCode.CircuitOpen => 503,
        EnvelopeCode.GatewayTimeout or EnvelopeCode.Timeout => 504,
        EnvelopeCode.JobFailed or EnvelopeCode.JobCanceled => 200,
        // The caller's request was fine; something between us and the backend failed.
        _ => 502,
    };
}
