using System.Text.Json;
using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Security;
using Intermediary.Upstream;
using Microsoft.Extensions.Options;

namespace Intermediary.Jobs;

/// <summary>
/// Follows an upstream's own long-running operation (202 + <c>Operation-Location</c> or <c>Location</c>) to its
/// end, honouring Retry-After, with the same token and resilience path — Azure's async operation patterns.
/// </summary>
internal sealed class OperationFollower(IOptions<IntermediaryOptions> options, UpstreamClient client, TimeProvider time)
{
    private static readonly TimeSpan s_minimumWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maximumWait = TimeSpan.FromMinutes(1);
    private static readonly string[] s_runningStates = ["running", "notstarted", "inprogress", "accepted", "queued", "pending", "started"];
    private static readonly string[] s_failedStates = ["failed", "canceled", "cancelled", "aborted"];

    /// <summary>True when this answer is the start of an operation the job should follow.</summary>
    public static bool IsOperationStart(UpstreamCallResult result) =>
        result.Response is { StatusCode: 202 } response && OperationUrlHeader(response) is not null;

    public async Task<Envelope> FollowAsync(UpstreamRequest original, UpstreamCallResult started, TimeSpan budget, CancellationToken cancellationToken)
    {
        var settings = options.Value.Upstreams[original.Upstream];
        var response = started.Response!;
        var attempts = started.Envelope.Attempts;
        var startedAt = time.GetTimestamp();
        var target = RequestPath.CheckLocation(settings.BaseUrl!, OperationUrlHeader(response)!, settings.AllowedPaths);
        if (target.Problem is { } refused)
        {
            return NotFollowed(started.Envelope, refused);
        }

        while (true)
        {
            await Task.Delay(WaitFrom(response), time, cancellationToken);
            var poll = PollOf(original, target);
            var result = await client.SendAsync(poll, budget, cancellationToken);
            if (result.Response is not { } current)
            {
                return Finish(result.Envelope, attempts, startedAt);
            }

            response = current;
            if (current.StatusCode == 202)
            {
                if (OperationUrlHeader(current) is { } next)
                {
                    var moved = RequestPath.CheckLocation(settings.BaseUrl!, next, settings.AllowedPaths);
                    if (moved.Problem is { } movedRefused)
                    {
                        return Finish(NotFollowed(result.Envelope, movedRefused), attempts, startedAt);
                    }

                    target = moved;
                }

                continue;
            }

            var state = StateOf(result.Envelope);
            if (state is not null && s_runningStates.Contains(state))
            {
                continue;
            }

            if (state == "succeeded" && ResourceLocation(result.Envelope) is { } location)
            {
                var resource = RequestPath.CheckLocation(settings.BaseUrl!, location, settings.AllowedPaths);
                if (resource.Problem is { } resourceRefused)
                {
                    return Finish(NotFollowed(result.Envelope, resourceRefused), attempts, startedAt);
                }

                var final = await client.SendAsync(PollOf(original, resource), budget, cancellationToken);
                return Finish(final.Envelope, attempts, startedAt);
            }

            if (state is not null && s_failedStates.Contains(state))
            {
                return Finish(result.Envelope with
                {
                    Ok = false,
                    Status = 502,
                    Code = EnvelopeCode.UpstreamError,
                    Message = OperationError(result.Envelope) ?? $"The upstream's operation ended as '{state}'.",
                    Retryable = false,
                }, attempts, startedAt);
            }

            return Finish(result.Envelope, attempts, startedAt);
        }
    }

    private Envelope Finish(Envelope envelope, int attempts, long startedAt) =>
        envelope with { Attempts = attempts, DurationMs = envelope.DurationMs + (long)time.GetElapsedTime(startedAt).TotalMilliseconds };

    /// <summary>A status poll of the checked location: rebuilt from its checked path, as every upstream URL is, for the same identity.</summary>
    private static UpstreamRequest PollOf(UpstreamRequest original, LocationCheck target) =>
        new(original.Upstream, HttpMethod.Get, target.Path!, target.Query, [new("Accept", "application/json")], null, original.CorrelationId)
        {
            // Polled as the same identity that started the operation.
            User = original.User,
            UserSessionJob = original.UserSessionJob,
        };

    private static Envelope NotFollowed(Envelope envelope, string reason) => envelope with
    {
        Ok = false,
        Status = 502,
        Code = EnvelopeCode.InvalidResponse,
        Source = EnvelopeSource.Intermediary,
        Message = reason,
    };

    private static string? OperationUrlHeader(UpstreamResponse response) =>
        response.Headers.GetValueOrDefault("Operation-Location") ?? response.Headers.GetValueOrDefault("Azure-AsyncOperation") ?? response.Headers.GetValueOrDefault("Location");

    private TimeSpan WaitFrom(UpstreamResponse response)
    {
        var asked = RetryAfter.FromHeaders(response.Headers, time.GetUtcNow()) ?? options.Value.Jobs.PollInterval;
        return asked < s_minimumWait ? s_minimumWait : asked > s_maximumWait ? s_maximumWait : asked;
    }

    private static string? StateOf(Envelope envelope) =>
        envelope.Data is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.String
            ? status.GetString()!.ToLowerInvariant()
            : null;

    private static string? ResourceLocation(Envelope envelope) =>
        envelope.Data is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty("resourceLocation", out var location) && location.ValueKind == JsonValueKind.String
            ? location.GetString()
            : null;

    private static string? OperationError(Envelope envelope) =>
        envelope.Data is { ValueKind: JsonValueKind.Object } data && data.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
            && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
            ? message.GetString()
            : null;
}
