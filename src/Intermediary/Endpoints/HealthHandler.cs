using System.Text.Json;
using System.Text.Json.Serialization;
using Intermediary.Envelopes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Intermediary.Endpoints;

/// <summary>
/// <c>GET /api/health</c>: readiness — per upstream, a token obtainable and the upstream reachable — run as the
/// standard health checks tagged <see cref="UpstreamHealthCheck.Tag"/>. Shaped like every other answer;
/// ServiceUnavailable when any upstream is not healthy.
/// </summary>
public sealed class HealthHandler
{
    private readonly HealthCheckService _checks;
    private readonly TimeProvider _time;
    private readonly ILogger<HealthHandler> _logger;

    internal HealthHandler(HealthCheckService checks, TimeProvider time, ILogger<HealthHandler> logger)
    {
        _checks = checks;
        _time = time;
        _logger = logger;
    }

    public Task<EnvelopeResult> HandleAsync(HttpContext context) => EndpointGuard.RunAsync(context, _logger, () => CheckAllAsync(context));

    /// <summary>
    /// <c>GET /api/health/live</c>: the process answers. No key, no upstream call, no token, no configuration
    /// detail — safe to leave anonymous for a platform's liveness probe; readiness is <see cref="HandleAsync"/>.
    /// </summary>
    public static EnvelopeResult Live() => new(Ours("Alive."));

    /// <summary>A success this service answers for itself.</summary>
    private static Envelope Ours(string message) =>
        new() { Ok = true, Status = 200, Code = EnvelopeCode.Ok, Message = message, Source = EnvelopeSource.Intermediary };

    private async Task<EnvelopeResult> CheckAllAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        var report = await _checks.CheckHealthAsync(r => r.Tags.Contains(UpstreamHealthCheck.Tag), context.RequestAborted);
        var upstreams = report.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => UpstreamHealthCheck.Describe(e.Key, e.Value)).ToList();
        var envelope = (report.Status == HealthStatus.Healthy
            ? Ours("Healthy.")
            : Envelope.Failure(EnvelopeCode.ServiceUnavailable, "One or more upstreams are not healthy; see data.upstreams.")) with
        {
            DurationMs = (long)_time.GetElapsedTime(started).TotalMilliseconds,
            Data = JsonSerializer.SerializeToElement(new HealthReport(upstreams), HealthJsonContext.Default.HealthReport),
        };
        return new EnvelopeResult(envelope);
    }
}

/// <summary>The health endpoint's <c>data</c>.</summary>
internal sealed record HealthReport(IReadOnlyList<UpstreamHealth> Upstreams);

internal sealed record UpstreamHealth(string Name, bool Healthy, string Token, string? TokenError, bool Reachable, int? Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(HealthReport))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
