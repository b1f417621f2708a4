using Azure;
using Intermediary.Envelopes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Intermediary.Endpoints;

/// <summary>
/// The one place an endpoint's unexpected exception becomes an <c>InternalError</c> envelope (and a caller that
/// went away a <c>Timeout</c>), with the correlation id in the log scope. Both hosts rely on it.
/// </summary>
internal static partial class EndpointGuard
{
    public static async Task<EnvelopeResult> RunAsync(HttpContext context, ILogger logger, Func<Task<EnvelopeResult>> handle)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = CorrelationId.For(context) });
        try
        {
            return await handle();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.Timeout, "The caller canceled the request."));
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

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Azure Storage request failed (HTTP {Status}, {ErrorCode})")]
    private static partial void LogStorageUnavailable(ILogger logger, int status, string errorCode);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Unhandled error in {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
