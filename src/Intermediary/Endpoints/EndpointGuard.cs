using Azure;
using Intermediary.Envelopes;
using Intermediary.Jobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Intermediary.Endpoints;

/// <summary>
/// The one place an endpoint's unexpected exception becomes an <c>InternalError</c> envelope (and a caller that
/// went away a <c>Timeout</c>), with the correlation id in the log scope. Both hosts rely on it.
/// </summary>
internal static partial class EndpointGuard
{
    public static Task<EnvelopeResult> RunAsync(HttpContext context, ILogger logger, Func<Task<EnvelopeResult>> handle) =>
        RunAsync(context, logger, handle, static handle => handle());

    /// <summary>The same, with the handler's state passed in: a static handler allocates no closure per request.</summary>
    public static async Task<EnvelopeResult> RunAsync<TState>(HttpContext context, ILogger logger, TState state, Func<TState, Task<EnvelopeResult>> handle)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handle);
        using var scope = logger.BeginScope(new CorrelationScope(CorrelationId.For(context)));
        try
        {
            return await handle(state);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away (or reset the connection mid-body): nobody is listening for the answer.
            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.Timeout, "The caller canceled the request."));
        }
        catch (BadHttpRequestException ex)
        {
            // The server refused what the caller sent while we read it (body shorter than its Content-Length, a bad
            // chunk, too slow, too large): the caller's fault, logged without a stack so it cannot flood error alerts.
            LogBadRequest(logger, ex.StatusCode, context.Request.Method);
            return new EnvelopeResult(ClientBodyError(ex.StatusCode));
        }
        catch (JobStoreFullException ex)
        {
            LogStoreFull(logger, ex.Message);
            var envelope = Envelope.Failure(EnvelopeCode.ServiceUnavailable,
                "This service is holding as many unfinished jobs as it may; try again when some have finished.") with
            {
                Retryable = true,
                RetryAfterSeconds = 30,
            };
            return new EnvelopeResult(envelope);
        }
        catch (RequestFailedException ex)
        {
            // The job store (Azure Storage) failed or is unreachable: the caller may simply try again.
            LogStorageUnavailable(logger, ex.Status, ex.ErrorCode ?? "none");
            var envelope = Envelope.Failure(EnvelopeCode.ServiceUnavailable, "Job storage is unavailable right now; try again shortly.") with
            {
                Retryable = true,
                RetryAfterSeconds = 5,
            };
            return new EnvelopeResult(envelope);
        }
        catch (Exception ex)
        {
            LogUnhandled(logger, ex, context.Request.Method, context.Request.Path.Value ?? "");
            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.InternalError, "An unexpected error occurred. Quote the correlation id when reporting it."));
        }
    }

    /// <summary>The envelope for a request body the server could not read, by the status the server chose.</summary>
    internal static Envelope ClientBodyError(int status) => status switch
    {
        StatusCodes.Status408RequestTimeout => Envelope.Failure(EnvelopeCode.Timeout,
            "The request body arrived too slowly; send it at a steady rate.") with
        { Status = StatusCodes.Status408RequestTimeout },
        StatusCodes.Status413PayloadTooLarge => Envelope.Failure(EnvelopeCode.PayloadTooLarge, "The request body is larger than this service accepts."),
        _ => Envelope.Failure(EnvelopeCode.InvalidRequest,
            "The request body could not be read: it ended before its Content-Length or its chunked encoding is malformed."),
    };

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Refused a job: {Reason}")]
    private static partial void LogStoreFull(ILogger logger, string reason);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Refused an unreadable request body (HTTP {Status}) on {Method}")]
    private static partial void LogBadRequest(ILogger logger, int status, string method);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Azure Storage request failed (HTTP {Status}, {ErrorCode})")]
    private static partial void LogStorageUnavailable(ILogger logger, int status, string errorCode);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}

/// <summary>The log scope of one request: its correlation id as a structured field, one small object per request.</summary>
internal sealed class CorrelationScope(string correlationId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public const string FieldName = "CorrelationId";

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new(FieldName, correlationId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{FieldName}:{correlationId}";
}
