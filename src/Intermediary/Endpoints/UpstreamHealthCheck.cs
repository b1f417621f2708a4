using Intermediary.Configuration;
using Intermediary.Security;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Intermediary.Endpoints;

/// <summary>
/// Readiness of one upstream as a standard health check: a token is obtainable and the upstream's health path
/// answers below 500 within 5 s. Registered once per configured upstream (tag <see cref="Tag"/>), so hosts can
/// also run them through ASP.NET Core's health check middleware or add checks of their own.
/// </summary>
internal sealed class UpstreamHealthCheck(string upstream, IOptions<IntermediaryOptions> options, ITokenProvider tokens, IHttpClientFactory httpClientFactory, TimeProvider time)
    : IHealthCheck
{
    public const string Tag = "intermediary-upstream";
    private static readonly TimeSpan s_probeTimeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var settings = options.Value.Upstreams[upstream];
        // Tokens on behalf of users exist only in users' calls: probe reachability without one.
        var perUser = settings.Credential == CredentialType.OnBehalfOf;
        var token = perUser
            ? TokenResult.CredentialNotNeeded
            : await tokens.GetTokenAsync(upstream, null, cancellationToken);
        if (token.Failure is { } failure)
        {
            return Result(false, "failed", failure.ErrorCode, reachable: false, status: null);
        }

        var tokenState = perUser ? "per-user" : token.AccessToken is null ? "not-needed" : "ok";
        using var timeout = new CancellationTokenSource(s_probeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var probe = new HttpRequestMessage(HttpMethod.Get, RequestPath.Combine(settings.BaseUrl!, settings.HealthPath, null));
            UpstreamClient.AddCredentials(probe, token, settings);
            using var response = await httpClientFactory.CreateClient(UpstreamClient.HttpClientName)
                .SendAsync(probe, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            // Any HTTP answer proves the network path; a 5xx says the upstream itself is in trouble.
            var status = (int)response.StatusCode;
            return Result(status < 500, tokenState, null, reachable: true, status);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return Result(false, tokenState, null, reachable: false, status: null);
        }
    }

    /// <summary>One upstream's line of the health endpoint's data, read back from its check's result.</summary>
    public static UpstreamHealth Describe(string upstream, HealthReportEntry entry) => new(
        upstream,
        entry.Status == HealthStatus.Healthy,
        entry.Data.GetValueOrDefault(TokenKey) as string ?? "failed",
        entry.Data.GetValueOrDefault(TokenErrorKey) as string,
        entry.Data.GetValueOrDefault(ReachableKey) is true,
        entry.Data.GetValueOrDefault(StatusKey) as int?);

    private const string TokenKey = "token";
    private const string TokenErrorKey = "tokenError";
    private const string ReachableKey = "reachable";
    private const string StatusKey = "status";

    private static HealthCheckResult Result(bool healthy, string token, string? tokenError, bool reachable, int? status)
    {
        var data = new Dictionary<string, object>
        {
            [TokenKey] = token,
            [ReachableKey] = reachable,
        };
        if (tokenError is not null)
        {
            data[TokenErrorKey] = tokenError;
        }

        if (status is { } answered)
        {
            data[StatusKey] = answered;
        }

        return healthy ? HealthCheckResult.Healthy(data: data) : HealthCheckResult.Unhealthy(data: data);
    }
}
