using System.Text.Json;
using System.Text.Json.Serialization;
using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Security;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Endpoints;

/// <summary>
/// <c>GET /api/health</c>: configuration loaded, a token obtainable and the upstream reachable, per upstream.
/// Shaped like every other answer; ServiceUnavailable when any upstream is not healthy.
/// </summary>
public sealed class HealthHandler
{
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(5);
    private readonly IOptions<IntermediaryOptions> _options;
    private readonly ITokenProvider _tokens;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly TimeProvider _time;
    private readonly ILogger<HealthHandler> _logger;

    internal HealthHandler(IOptions<IntermediaryOptions> options, ITokenProvider tokens, IHttpClientFactory httpClientFactory, TimeProvider time, ILogger<HealthHandler> logger)
    {
        _options = options;
        _tokens = tokens;
        _httpClientFactory = httpClientFactory;
        _time = time;
        _logger = logger;
    }

    public Task<EnvelopeResult> HandleAsync(HttpContext context) => EndpointGuard.RunAsync(context, _logger, () => CheckAllAsync(context));

    /// <summary>
    /// <c>GET /api/health/live</c>: the process answers. No key, no upstream call, no token, no configuration
    /// detail — safe to leave anonymous for a platform's liveness probe; readiness is <see cref="HandleAsync"/>.
    /// </summary>
    public static EnvelopeResult Live() =>
        new(new Envelope { Ok = true, Status = 200, Code = EnvelopeCode.Ok, Message = "Alive.", Source = EnvelopeSource.Intermediary });

    private async Task<EnvelopeResult> CheckAllAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        var checks = await Task.WhenAll(_options.Value.Upstreams.Select(pair => CheckAsync(pair.Key, pair.Value, context.RequestAborted)));
        var healthy = checks.All(c => c.Healthy);
        var report = new HealthReport(checks);
        var envelope = (healthy
            ? new Envelope { Ok = true, Status = 200, Code = EnvelopeCode.Ok, Message = "Healthy.", Source = EnvelopeSource.Intermediary }
            : Envelope.Failure(EnvelopeCode.ServiceUnavailable, "One or more upstreams are not healthy; see data.upstreams.")) with
        {
            DurationMs = (long)_time.GetElapsedTime(started).TotalMilliseconds,
            Data = JsonSerializer.SerializeToElement(report, HealthJsonContext.Default.HealthReport),
        };
        return new EnvelopeResult(envelope);
    }

    private async Task<UpstreamHealth> CheckAsync(string name, UpstreamOptions settings, CancellationToken cancellationToken)
    {
        var token = await _tokens.GetTokenAsync(name, null, cancellationToken);
        if (token.Failure is { } failure)
        {
            return new UpstreamHealth(name, false, "failed", failure.ErrorCode, false, null);
        }

        var tokenState = token.AccessToken is null ? "not-needed" : "ok";
        using var timeout = new CancellationTokenSource(s_probeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, RequestPath.Combine(settings.BaseUrl!, settings.HealthPath, null));
            UpstreamClient.AddCredentials(probe, token.AccessToken, settings);

            using var response = await _httpClientFactory.CreateClient(UpstreamClient.HttpClientName)
                .SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            // Any HTTP answer proves the network path; a 5xx says the upstream itself is in trouble.
            var status = (int)response.StatusCode;
            return new UpstreamHealth(name, status < 500, tokenState, null, true, status);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new UpstreamHealth(name, false, tokenState, null, false, null);
        }
    }
}

/// <summary>The health endpoint's <c>data</c>.</summary>
internal sealed record HealthReport(IReadOnlyList<UpstreamHealth> Upstreams);

internal sealed record UpstreamHealth(string Name, bool Healthy, string Token, string? TokenError, bool Reachable, int? Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(HealthReport))]
internal sealed partial class HealthJsonContext : JsonSerializerContext;
