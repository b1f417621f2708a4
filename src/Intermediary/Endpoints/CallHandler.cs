using Intermediary.Envelopes;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Intermediary.Endpoints;

/// <summary><c>ANY /api/call/{upstream}/{**path}</c>: validate, forward through the upstream client, answer with an envelope.</summary>
public sealed partial class CallHandler
{
    private readonly RequestIntake _intake;
    private readonly UpstreamClient _client;
    private readonly ILogger<CallHandler> _logger;

    internal CallHandler(RequestIntake intake, UpstreamClient client, ILogger<CallHandler> logger)
    {
        _intake = intake;
        _client = client;
        _logger = logger;
    }

    /// <summary>Handles one call; never throws for bad input or upstream failures.</summary>
    public async Task<EnvelopeResult> HandleAsync(HttpContext context, string upstream, string? path)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = CorrelationId.For(context) });
        try
        {
            var intake = await _intake.FromHttpAsync(context, upstream, path, context.Request.Method);
            var envelope = intake.Request is { } request
                ? (await _client.SendAsync(request, context.RequestAborted)).Envelope
                : intake.Rejection!;
            return new EnvelopeResult(envelope);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.Timeout, "The caller canceled the request."));
        }
        catch (Exception ex)
        {
            LogUnhandled(_logger, ex, RequestIntake.Sanitize(upstream));
            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.InternalError, "An unexpected error occurred. Quote the correlation id when reporting it."));
        }
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Unhandled error while calling upstream {Upstream}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string upstream);
}
