using System.Text;
using System.Text.Json;
using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Jobs;
using Intermediary.Security;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Endpoints;

/// <summary>
/// Turns what a caller sent into a validated <see cref="UpstreamRequest"/> — or the envelope that says why not.
/// One gate for synchronous calls and jobs: upstream, method, path allowlist and traversal, headers, body size.
/// </summary>
internal sealed partial class RequestIntake(IOptions<IntermediaryOptions> options, ILogger<RequestIntake> logger)
{
    private static readonly HashSet<string> s_reservedQueryKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        CallerKeys.QueryName, ErrorModeSelector.QueryName,
    };

    /// <summary>The incoming HTTP request as it is: method, path, query, allowlisted headers and body.</summary>
    public async ValueTask<Intake> FromHttpAsync(HttpContext context, string upstream, string? path, string method)
    {
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (rawTarget is not null && RequestPath.RawTargetProblem(rawTarget) is { } rawProblem)
        {
            // Checked first: the server may already have resolved dot segments and matched another route.
            return Reject(upstream, EnvelopeCode.InvalidRequest, rawProblem);
        }

        if (Validate(upstream, method, path, rawTarget) is { } rejection)
        {
            return rejection;
        }

        var settings = options.Value.Upstreams[upstream];
        var limit = options.Value.MaxRequestBodyBytes;
        var body = await RequestBody.ReadAsync(context.Request, limit, context.RequestAborted);
        if (body.TooLarge)
        {
            return TooLarge(limit);
        }

        return Accept(upstream, method, path, ForwardedQuery(context.Request.Query), HeaderForwarding.Select(context.Request.Headers, settings.ForwardedHeaders), body.Content, CorrelationId.For(context));
    }

    /// <summary>The caller's body read as a JSON request description (<c>POST /api/jobs/{upstream}</c>).</summary>
    public async ValueTask<Intake> FromDescriptionAsync(HttpContext context, string upstream)
    {
        var limit = options.Value.MaxRequestBodyBytes;
        var body = await RequestBody.ReadAsync(context.Request, limit, context.RequestAborted);
        if (body.TooLarge)
        {
            return TooLarge(limit);
        }

        JobStartBody? description;
        try
        {
            description = body.Content is { } content ? JsonSerializer.Deserialize(content.Span, JobJsonContext.Default.JobStartBody) : null;
        }
        catch (JsonException)
        {
            description = null;
        }

        return description is null
            ? new Intake(null, Envelope.Failure(EnvelopeCode.BadRequest,
                "The body must be a JSON object {\"method\", \"path\", \"query\", \"headers\", \"body\"} describing the request to run; or call /api/jobs/{upstream}/{path} with the request as-is."))
            : FromDescription(upstream, description, CorrelationId.For(context));
    }

    /// <summary>A request described as JSON (<c>{method, path, query, headers, body}</c>), as flows send it.</summary>
    public Intake FromDescription(string upstream, JobStartBody description, string correlationId)
    {
        var method = string.IsNullOrWhiteSpace(description.Method) ? "GET" : description.Method.Trim().ToUpperInvariant();
        if (string.IsNullOrWhiteSpace(description.Path))
        {
            return new Intake(null, Envelope.Failure(EnvelopeCode.BadRequest, "The job needs a 'path' (e.g. \"/items\")."));
        }

        var path = description.Path.TrimStart('/');
        if (Validate(upstream, method, path, null) is { } rejection)
        {
            return rejection;
        }

        // Every header the caller described is checked, forwarded or not: a malformed one means the request was built wrong.
        var described = (description.Headers ?? []).Where(pair => pair.Value is not null).ToList();
        if (HeaderRules.Problem(described) is { } headerProblem)
        {
            return Reject(upstream, EnvelopeCode.InvalidRequest, headerProblem);
        }

        var headers = new HeaderDictionary();
        foreach (var (name, value) in described)
        {
            headers[name] = value;
        }

        // No body stays null (not an empty body): a GET job is sent without content, as a GET call is.
        ReadOnlyMemory<byte>? body = null;
        if (description.Body is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } json)
        {
            var text = json.ValueKind == JsonValueKind.String;
            body = Encoding.UTF8.GetBytes(text ? json.GetString()! : json.GetRawText());
            if (!headers.ContainsKey("Content-Type"))
            {
                headers["Content-Type"] = text ? "text/plain; charset=utf-8" : "application/json";
            }
        }

        var limit = options.Value.MaxRequestBodyBytes;
        if (body?.Length > limit)
        {
            return TooLarge(limit);
        }

        var query = description.Query is { Count: > 0 } pairs ? QueryString.Create(pairs!).Value : null;
        var settings = options.Value.Upstreams[upstream];
        return Accept(upstream, method, path, query, HeaderForwarding.Select(headers, settings.ForwardedHeaders), body, correlationId);
    }

    private Intake? Validate(string upstream, string method, string? path, string? rawTarget)
    {
        if (!UpstreamName.IsValid(upstream) || !options.Value.Upstreams.TryGetValue(upstream, out var settings))
        {
            return new Intake(null, Envelope.Failure(EnvelopeCode.NotFound, $"No upstream named '{UntrustedText.Printable(upstream)}' is configured."));
        }

        if (!IntermediaryRoutes.IsCallMethod(method))
        {
            return new Intake(null, Envelope.Failure(EnvelopeCode.MethodNotAllowed, $"The method '{UntrustedText.Printable(method)}' is not forwarded."));
        }

        var check = RequestPath.Check(path, rawTarget, settings.AllowedPaths);
        return check.IsAllowed ? null : Reject(upstream, check.Code, check.Message);
    }

    private Intake Reject(string upstream, EnvelopeCode code, string message)
    {
        LogRejectedPath(logger, UntrustedText.Printable(upstream), code);
        return new Intake(null, Envelope.Failure(code, message));
    }

    private static Intake TooLarge(long limit) =>
        new(null, Envelope.Failure(EnvelopeCode.PayloadTooLarge, $"The request body is larger than the {limit} bytes this service accepts."));

    private Intake Accept(string upstream, string method, string? path, string? query, List<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte>? body, string correlationId)
    {
        if (HeaderRules.Problem(headers) is { } problem)
        {
            return Reject(upstream, EnvelopeCode.InvalidRequest, problem);
        }

        var checkedPath = "/" + (path ?? "").TrimStart('/');
        return new Intake(new UpstreamRequest(upstream, HttpMethod.Parse(method), checkedPath, query, headers, body, correlationId), null);
    }

    /// <summary>The caller's query minus what is meant for this service (function key, error mode).</summary>
    private static string? ForwardedQuery(IQueryCollection query)
    {
        if (query.Count == 0)
        {
            return null;
        }

        var kept = query.Where(pair => !s_reservedQueryKeys.Contains(pair.Key))
            .SelectMany(pair => pair.Value.Select(value => KeyValuePair.Create(pair.Key, value)))
            .ToList();
        return kept.Count == 0 ? null : QueryString.Create(kept).Value;
    }

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Rejected a request for upstream {Upstream}: {Code}")]
    private static partial void LogRejectedPath(ILogger logger, string upstream, EnvelopeCode code);
}

/// <summary>A validated request, or the envelope that rejects it.</summary>
internal sealed record Intake(UpstreamRequest? Request, Envelope? Rejection);
