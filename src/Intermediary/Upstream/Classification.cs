using Intermediary.Envelopes;

namespace Intermediary.Upstream;

/// <summary>
/// What an upstream outcome means for the caller: the envelope's code, source, status and message. Built by the
/// factories below so that each call site says which kind of outcome it is.
/// </summary>
internal sealed record Classification
{
    private Classification(bool ok, int status, EnvelopeCode code, EnvelopeSource source, string message)
    {
        Ok = ok;
        Status = status;
        Code = code;
        Source = source;
        Message = message;
    }

    public bool Ok { get; }
    public int Status { get; }
    public EnvelopeCode Code { get; }
    public EnvelopeSource Source { get; }
    public string Message { get; }
    public bool Retryable { get; private init; }
    public TimeSpan? RetryAfter { get; private init; }
    /// <summary>The upstream's JSON body (or a JSON string for text and binary), passed on as the envelope's data.</summary>
    public RawJson? Data { get; private init; }
    public UpstreamDetails? Upstream { get; private init; }
    /// <summary>A 401 that reads as the upstream refusing our token (worth one fresh token), not our subscription key.</summary>
    public bool TokenRejected { get; private init; }

    /// <summary>The upstream answered 2xx or 304; the envelope's status is <paramref name="status"/>.</summary>
    public static Classification Success(int status, string message, RawJson? data, UpstreamDetails upstream) =>
        new(true, status, EnvelopeCode.Ok, EnvelopeSource.Backend, message) { Data = data, Upstream = upstream };

    /// <summary>
    /// The upstream (or its gateway) answered with a failure. <paramref name="status"/> is what a caller sees in
    /// status mode, which may differ from the upstream's own (kept in <paramref name="upstream"/>).
    /// </summary>
    public static Classification UpstreamFailure(
        int status, EnvelopeCode code, EnvelopeSource source, string message, UpstreamDetails upstream,
        bool retryable, TimeSpan? retryAfter = null, RawJson? data = null, bool tokenRejected = false) =>
        new(false, status, code, source, message)
        {
            Upstream = upstream,
            Retryable = retryable,
            RetryAfter = retryAfter,
            Data = data,
            TokenRejected = tokenRejected,
        };

    /// <summary>
    /// No usable answer came back (the network, a timeout, the breaker, this service's own limits); the status is
    /// the code's own (<see cref="EnvelopeStatus.For"/>).
    /// </summary>
    public static Classification Failure(EnvelopeCode code, EnvelopeSource source, string message, bool retryable, TimeSpan? retryAfter = null) =>
        new(false, EnvelopeStatus.For(code), code, source, message) { Retryable = retryable, RetryAfter = retryAfter };

    /// <summary>The caller went away (or its deadline passed) before the upstream answered.</summary>
    public static Classification CallerCanceled() =>
        new(false, ResiliencePredicates.CallerCanceledStatus, EnvelopeCode.Timeout, EnvelopeSource.Intermediary, "The caller canceled the request.")
        {
            Retryable = true,
        };
}
