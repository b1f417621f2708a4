using System.Globalization;
using System.Text.Json;
using Intermediary.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Intermediary.Envelopes;

/// <summary>
/// Writes an envelope as the HTTP response: status by error mode (body: always 200; status: the envelope's), or
/// <paramref name="statusOverride"/> in both modes where a protocol needs it (202 for a started job, 200 for a
/// finished one); plus correlation id, Retry-After and any extra headers. It is both an <see cref="IResult"/>
/// (minimal APIs) and an <see cref="IActionResult"/> (Functions).
/// </summary>
public sealed class EnvelopeResult(Envelope envelope, IReadOnlyDictionary<string, string>? headers = null, int? statusOverride = null) : IResult, IActionResult
{
    public Envelope Envelope { get; } = envelope;

    /// <summary>The HTTP status written regardless of error mode, when set.</summary>
    public int? StatusOverride { get; } = statusOverride;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var options = httpContext.RequestServices.GetService<IOptions<IntermediaryOptions>>()?.Value;
        var mode = ErrorModeSelector.Select(httpContext.Request, options?.ErrorMode ?? ErrorMode.Body);
        var correlationId = CorrelationId.For(httpContext);
        var envelope = Envelope.CorrelationId == correlationId ? Envelope : Envelope with { CorrelationId = correlationId };

        var response = httpContext.Response;
        response.StatusCode = StatusOverride ?? (mode == ErrorMode.Status ? envelope.Status : StatusCodes.Status200OK);
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers[CorrelationId.HeaderName] = correlationId;
        if (envelope.RetryAfterSeconds is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        }

        if (headers is not null)
        {
            foreach (var (name, value) in headers)
            {
                response.Headers[name] = value;
            }
        }

        // Written whole, then flushed: the envelope is small, or its data was already held in memory in full.
        EnvelopeJson.Write(response.BodyWriter, envelope);
        await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
    }

    Task IActionResult.ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ExecuteAsync(context.HttpContext);
    }
}
