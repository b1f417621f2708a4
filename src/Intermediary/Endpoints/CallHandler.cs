using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Security;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Endpoints;

/// <summary><c>ANY /api/call/{upstream}/{**path}</c>: validate, forward through the upstream client, answer with an envelope.</summary>
public sealed partial class CallHandler
{
    private static readonly HashSet<string> s_reservedQueryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        CallerKeys.QueryName, ErrorModeSelector.QueryName,
    };

    private readonly IOptions<IntermediaryOptions> _options;
    private readonly UpstreamClient _client;
    private readonly ILogger<CallHandler> _logger;

    internal CallHandler(IOptions<IntermediaryOptions> options, UpstreamClient client, ILogger<CallHandler> logger)
    {
        _options = options;
        _client = client;
        _logger = logger;
    }

    /// <summary>Handles one call; never throws for bad input or upstream failures.</summary>
    public async Task<EnvelopeResult> HandleAsync(HttpContext context, string upstream, string? path)
    {
        ArgumentNullException.ThrowIfNull(context);
        var correlationId = CorrelationId.For(context);
        using var scope = _logger.BeginScope(new Dictionary<string, object> { ["CorrelationId"] = correlationId });
        try
        {
            return new EnvelopeResult(await CallAsync(context, upstream, path, correlationId));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.Timeout, "The caller canceled the request."));
        }
        catch (Exception ex)
        {
            LogUnhandled(_logger, ex, upstream);
            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.InternalError, "An unexpected error occurred. Quote the correlation id when reporting it."));
        }
    }

    private async Task<Envelope> CallAsync(HttpContext context, string upstream, string? path, string correlationId)
    {
        var options = _options.Value;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (rawTarget is not null && RequestPath.RawTargetProblem(rawTarget) is { } rawProblem)
        {
            // Checked first: the server may already have resolved dot segments and matched another route.
            LogRejectedPath(_logger, upstream, EnvelopeCode.InvalidRequest);
            return Envelope.Failure(EnvelopeCode.InvalidRequest, rawProblem);
        }

        if (!UpstreamName.IsValid(upstream) || !options.Upstreams.TryGetValue(upstream, out var settings))
        {
            return Envelope.Failure(EnvelopeCode.NotFound, $"No upstream named '{Sanitize(upstream)}' is configured.");
        }

        var request = context.Request;
        if (!IntermediaryRoutes.CallMethods.Contains(request.Method, StringComparer.OrdinalIgnoreCase))
        {
            return Envelope.Failure(EnvelopeCode.MethodNotAllowed, $"The method '{Sanitize(request.Method)}' is not forwarded.");
        }

        var check = RequestPath.Check(path, rawTarget, settings.AllowedPaths);
        if (!check.IsAllowed)
        {
            LogRejectedPath(_logger, upstream, check.Code);
            return Envelope.Failure(check.Code, check.Message);
        }

        var body = await RequestBody.ReadAsync(request, options.MaxRequestBodyBytes, context.RequestAborted);
        if (body.TooLarge)
        {
            return Envelope.Failure(EnvelopeCode.PayloadTooLarge, $"The request body is larger than the {options.MaxRequestBodyBytes} bytes this service accepts.");
        }

        var forwarded = new UpstreamRequest(
            upstream,
            HttpMethod.Parse(request.Method),
            check.Path,
            ForwardedQuery(request.Query),
            HeaderForwarding.Select(request.Headers, settings.ForwardedHeaders),
            body.Content,
            correlationId);
        return await _client.SendAsync(forwarded, context.RequestAborted);
    }

    /// <summary>The caller's query minus what is meant for this service (function key, error mode).</summary>
    private static string? ForwardedQuery(IQueryCollection query)
    {
        var kept = query.Where(pair => !s_reservedQueryKeys.Contains(pair.Key))
            .SelectMany(pair => pair.Value.Select(value => KeyValuePair.Create(pair.Key, value)))
            .ToList();
        return kept.Count == 0 ? null : QueryString.Create(kept).Value;
    }

    private static string Sanitize(string? value)
    {
        var text = new string((value ?? "").Where(c => !char.IsControl(c)).Take(64).ToArray());
        return text.Length == 0 ? "(empty)" : text;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Unhandled error while calling upstream {Upstream}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string upstream);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Rejected a path for upstream {Upstream}: {Code}")]
    private static partial void LogRejectedPath(ILogger logger, string upstream, EnvelopeCode code);
}
