using System.Diagnostics;
using System.Net.Http.Headers;
using Intermediary.Configuration;
using Intermediary.Diagnostics;
using Intermediary.Envelopes;
using Intermediary.Security;
using Intermediary.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace Intermediary.Upstream;

/// <summary>
/// Sends one validated request to its upstream: token, resilience pipeline, one forced token refresh when the
/// upstream rejects a cached token, and an envelope that reports what really happened.
/// </summary>
internal sealed partial class UpstreamClient(
    IOptions<IntermediaryOptions> options,
    ITokenProvider tokens,
    IHttpMessageHandlerFactory handlers,
    UpstreamPipelines pipelines,
    TimeProvider time,
    Jitter jitter,
    IntermediaryMetrics metrics,
    ResponseBuffers buffers,
    ILogger<UpstreamClient> logger)
{
    public const string HttpClientName = "Intermediary.Upstream";
    public const string SubscriptionKeyHeader = "Ocp-Apim-Subscription-Key";

    /// <summary>The service's own credentials for an upstream: its bearer token and APIM subscription key.</summary>
    internal static void AddCredentials(HttpRequestMessage message, TokenResult? token, UpstreamOptions settings)
    {
        if (token?.AuthorizationHeader is { } header)
        {
            message.Headers.TryAddWithoutValidation("Authorization", header);
        }
        else if (token?.AccessToken is { } accessToken)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        }

        if (!string.IsNullOrEmpty(settings.SubscriptionKey))
        {
            message.Headers.TryAddWithoutValidation(SubscriptionKeyHeader, settings.SubscriptionKey);
        }
    }

    /// <summary>
    /// Sends the request and shapes the outcome. <paramref name="budget"/> is set for jobs: it replaces the
    /// upstream's timeouts; the last response comes back for callers that follow operations.
    /// </summary>
    public async Task<UpstreamCallResult> SendAsync(UpstreamRequest request, TimeSpan? budget, CancellationToken cancellationToken)
    {
        using var activity = IntermediaryDiagnostics.ActivitySource.StartActivity("upstream call", ActivityKind.Internal);
        activity?.SetTag("intermediary.upstream", request.Upstream);
        activity?.SetTag("http.request.method", request.Method.Method);
        UpstreamCallResult result;
        var plan = new RetryPlan(request, ResilienceFor(request, budget), time, jitter);
        try
        {
            result = await SendCoreAsync(plan, budget, cancellationToken);
        }
        finally
        {
            // The body has been classified and parsed into the envelope by now; its buffer is no longer held.
            ReleaseBuffer(plan);
        }

        var envelope = result.Envelope;
        activity?.SetTag("intermediary.code", envelope.Code.ToString());
        activity?.SetTag("intermediary.attempts", envelope.Attempts);
        if (!envelope.Ok)
        {
            activity?.SetStatus(ActivityStatusCode.Error, envelope.Code.ToString());
        }

        metrics.CallCompleted(request.Upstream, envelope);
        // Successes at Debug: at thousands of calls a second a console line each costs a quarter of the CPU, and the
        // metrics and spans already carry every call. Failures stay at Information, where operators look.
        LogCallCompleted(logger, envelope.Ok ? LogLevel.Debug : LogLevel.Information,
            request.Upstream, request.Method.Method, request.Path, envelope.Upstream?.Status, envelope.Code, envelope.Attempts, envelope.DurationMs);
        return result;
    }

    private ResilienceOptions ResilienceFor(UpstreamRequest request, TimeSpan? budget)
    {
        var resilience = options.Value.Upstreams[request.Upstream].Resilience;
        return budget is { } total ? resilience.ForJob(total) : resilience;
    }

    private async Task<UpstreamCallResult> SendCoreAsync(RetryPlan plan, TimeSpan? budget, CancellationToken cancellationToken)
    {
        var request = plan.Request;
        var settings = options.Value.Upstreams[request.Upstream];
        if (HeaderRules.Problem(request.Headers) is { } headerProblem)
        {
            // Intake refuses these; this catches requests built elsewhere (e.g. a job stored by an older version).
            // Refused before any attempt: never sent, never retried, never counted by the circuit breaker.
            LogRefusedHeaders(logger, request.Upstream);
            return new UpstreamCallResult(Envelope.Failure(EnvelopeCode.InvalidRequest, headerProblem) with { CorrelationId = request.CorrelationId }, null);
        }

        var pipelineKey = budget is null ? request.Upstream : $"{request.Upstream}@{budget.Value.Ticks}";

        var token = request switch
        {
            { User: { } user } => await tokens.GetUserTokenAsync(request.Upstream, user, cancellationToken),
            { UserSessionJob: { } job } => await tokens.GetSessionTokenAsync(request.Upstream, job, cancellationToken),
            _ => await tokens.GetTokenAsync(request.Upstream, null, cancellationToken),
        };
        if (token.Failure is { } failure)
        {
            return new UpstreamCallResult(TokenFailed(failure, plan), null);
        }

        plan.Credential = token;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        Outcome<UpstreamResponse> outcome;
        try
        {
            context.Properties.Set(RetryPlan.Key, plan);
            outcome = await pipelines.For(pipelineKey, plan.Resilience).ExecuteOutcomeAsync(
                static (ctx, state) => state.Client.AttemptAsync(state.Plan, state.Settings, ctx.CancellationToken),
                context,
                (Client: this, Plan: plan, Settings: settings));
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        if (plan.RefreshFailure is { } refreshFailure)
        {
            return new UpstreamCallResult(TokenFailed(refreshFailure, plan), null);
        }

        var response = outcome.Exception is null ? WithoutCredentials(outcome.Result!, plan, settings) : null;
        var classification = outcome.Exception is { } exception
            ? ClassifyException(exception, request, cancellationToken)
            : ErrorClassifier.Classify(response!, time.GetUtcNow());
        var retryAfter = plan.AbandonedWait is { } abandoned && (classification.RetryAfter is null || abandoned > classification.RetryAfter)
            ? abandoned
            : classification.RetryAfter;

        var envelope = new Envelope
        {
            Ok = classification.Ok,
            Status = classification.Status,
            Code = classification.Code,
            Message = classification.Message,
            Source = classification.Source,
            Retryable = classification.Retryable,
            // Only a hint for a request worth sending again: a quota that renews in hours is said in the message.
            RetryAfterSeconds = classification.Retryable && retryAfter is { } wait ? RetryAfter.ToSeconds(wait) : null,
            Attempts = plan.Attempts,
            DurationMs = (long)plan.Elapsed.TotalMilliseconds,
            CorrelationId = request.CorrelationId,
            RawData = classification.Data,
            Upstream = classification.Upstream,
        };
        return new UpstreamCallResult(envelope, response);
    }

    /// <summary>The response with our own token(s), subscription key and secret removed from its body, if it echoed any.</summary>
    private UpstreamResponse WithoutCredentials(UpstreamResponse response, RetryPlan plan, UpstreamOptions settings)
    {
        var (body, count) = CredentialEchoes.Redact(response.Body, [plan.Token, plan.RejectedToken, settings.SubscriptionKey, settings.ClientSecret]);
        if (count == 0)
        {
            return response;
        }

        metrics.CredentialsRedacted(plan.Request.Upstream, count);
        LogRedacted(logger, plan.Request.Upstream, count, plan.Request.Path);
        return response with { Body = body };
    }

    /// <remarks>
    /// Nothing is caught here: Polly turns an exception from the attempt (a network failure, a timeout, the caller's
    /// cancellation) into the attempt's outcome itself, which is what the retry and breaker decisions read.
    /// </remarks>
    private async ValueTask<Outcome<UpstreamResponse>> AttemptAsync(RetryPlan plan, UpstreamOptions settings, CancellationToken cancellationToken)
    {
        var response = await SendOnceAsync(plan, settings, cancellationToken);
        // A user's token is not refreshed here: a fresh exchange (or the session's refresh) would give the same answer.
        if (response.StatusCode != 401 || plan.TokenRefreshed || plan.Token is null || plan.Request.ActsForUser
            || !ErrorClassifier.Classify(response, time.GetUtcNow()).TokenRejected)
        {
            return Outcome.FromResult(response);
        }

        // Once per call, never in a loop: get a token other than the rejected one and try again.
        plan.TokenRefreshed = true;
        var refreshed = await tokens.GetTokenAsync(plan.Request.Upstream, plan.Token, cancellationToken);
        if (refreshed.Failure is { } failure)
        {
            plan.RefreshFailure = failure;
            return Outcome.FromResult(response);
        }

        plan.RejectedToken = plan.Token;
        plan.Credential = refreshed;
        return Outcome.FromResult(await SendOnceAsync(plan, settings, cancellationToken));
    }

    private async Task<UpstreamResponse> SendOnceAsync(RetryPlan plan, UpstreamOptions settings, CancellationToken cancellationToken)
    {
        // A new attempt means the previous attempt's body is done with.
        ReleaseBuffer(plan);
        plan.Attempts++;
        var request = plan.Request;
        using var message = new HttpRequestMessage(request.Method, RequestPath.Combine(settings.BaseUrl!, request.Path, request.Query));
        if (request.Body is { } body)
        {
            message.Content = new ReadOnlyMemoryContent(body);
        }

        for (var i = 0; i < request.Headers.Count; i++)
        {
            var (name, value) = request.Headers[i];
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        AddCredentials(message, plan.Credential, settings);
        message.Headers.TryAddWithoutValidation(CorrelationId.HeaderName, request.CorrelationId);

        // The named client's handler chain without an HttpClient around it, as reverse proxies call it: HttpClient
        // would add its own cancellation source, linked to ours, and state machine per call, for a timeout it does not
        // have (Polly's are the timeouts). The handler answers once the headers are in; the body is read below.
        using var invoker = new HttpMessageInvoker(handlers.CreateHandler(HttpClientName), disposeHandler: false);
        using var response = await invoker.SendAsync(message, cancellationToken);
        var (bytes, tooLarge) = await ReadBodyAsync(response.Content, settings.MaxResponseBodyBytes, plan, cancellationToken);
        var headers = UpstreamResponse.CollectHeaders(response);
        return new UpstreamResponse((int)response.StatusCode, headers.GetValueOrDefault("Content-Type"), bytes, headers, tooLarge);
    }

    private async Task<(ReadOnlyMemory<byte> Body, bool TooLarge)> ReadBodyAsync(HttpContent content, long limit, RetryPlan plan, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > limit)
        {
            return (ReadOnlyMemory<byte>.Empty, true);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var body = await BoundedRead.ReadAsync(stream, limit, cancellationToken, grow: bytes =>
        {
            if (!buffers.TryReserve(bytes))
            {
                throw new ResponseBuffersExhaustedException();
            }

            plan.BufferedBytes += bytes;
        }, length: content.Headers.ContentLength);
        return body is { } bytes ? (bytes, false) : (ReadOnlyMemory<byte>.Empty, true);
    }

    private void ReleaseBuffer(RetryPlan plan)
    {
        buffers.Release(plan.BufferedBytes);
        plan.BufferedBytes = 0;
    }

    private static Classification ClassifyException(Exception exception, UpstreamRequest request, CancellationToken callerToken) =>
        exception is OperationCanceledException && callerToken.IsCancellationRequested
            ? Classification.CallerCanceled()
            : ErrorClassifier.Classify(exception, request.Upstream);

    private static Envelope TokenFailed(TokenFailure failure, RetryPlan plan) =>
        TokenFailureEnvelope(failure, plan.Request.CorrelationId) with { Attempts = plan.Attempts, DurationMs = (long)plan.Elapsed.TotalMilliseconds };

    /// <summary>A token failure as the caller sees it: who must act (the code), Entra's code and words in <c>upstream</c>.</summary>
    internal static Envelope TokenFailureEnvelope(TokenFailure failure, string correlationId)
    {
        var code = failure.Kind switch
        {
            TokenFailureKind.Unauthenticated => EnvelopeCode.Unauthenticated,
            TokenFailureKind.ConsentRequired => EnvelopeCode.ConsentRequired,
            TokenFailureKind.InteractionRequired => EnvelopeCode.InteractionRequired,
            _ => EnvelopeCode.TokenAcquisitionFailed,
        };
        return new Envelope
        {
            Ok = false,
            Status = EnvelopeStatus.For(code),
            Code = code,
            Message = failure.Message,
            Source = EnvelopeSource.Identity,
            Retryable = failure.Retryable,
            CorrelationId = correlationId,
            Upstream = new UpstreamDetails(failure.HttpStatus, null, failure.ErrorCode, failure.Message, null) { Claims = failure.Claims },
        };
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Upstream {Upstream} refused before sending: a header is not a valid HTTP header")]
    private static partial void LogRefusedHeaders(ILogger logger, string upstream);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning,
        Message = "Upstream {Upstream} echoed this service's credentials {Count} time(s) in its response to {Path}; they were redacted")]
    private static partial void LogRedacted(ILogger logger, string upstream, int count, string path);

    [LoggerMessage(EventId = 2001,
        Message = "Upstream {Upstream} {Method} {Path} answered {UpstreamStatus} → {Code} after {Attempts} attempt(s) in {DurationMs} ms")]
    private static partial void LogCallCompleted(ILogger logger, LogLevel level, string upstream, string method, string path, int? upstreamStatus, EnvelopeCode code, int attempts, long durationMs);
}

/// <summary>The envelope for a call, and the upstream's last response when there was one.</summary>
internal sealed record UpstreamCallResult(Envelope Envelope, UpstreamResponse? Response);
