using System.Text.Json;
using Intermediary.Configuration;
using Intermediary.Diagnostics;
using Intermediary.Envelopes;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Jobs;

/// <summary>What a host does with the message after a run: delete it, or deliver it again after a delay.</summary>
public readonly record struct JobRunResult(bool Completed, TimeSpan RetryAfter)
{
    public static JobRunResult Done => new(true, TimeSpan.Zero);

    public static JobRunResult Later(TimeSpan delay) => new(false, delay);
}

/// <summary>
/// Runs one job: the host-neutral entry point a queue consumer calls for each delivery (the Server host's
/// dispatcher, the Functions host's queue trigger). Deliveries are at least once; the job's state machine makes
/// them exactly once in effect: a terminal job is never run again or moved backwards, a job leased by a live
/// worker is left to it, and a job whose worker died is taken over once its lease expires.
/// </summary>
public sealed partial class JobRunner
{
    private readonly IJobStore _store;
    private readonly UpstreamClient _client;
    private readonly ITokenProvider _tokens;
    private readonly OperationFollower _follower;
    private readonly RunningJobs _running;
    private readonly IOptions<IntermediaryOptions> _options;
    private readonly TimeProvider _time;
    private readonly IntermediaryMetrics _metrics;
    private readonly ILogger<JobRunner> _logger;

    internal JobRunner(IJobStore store, UpstreamClient client, ITokenProvider tokens, OperationFollower follower, RunningJobs running,
        IOptions<IntermediaryOptions> options, TimeProvider time, IntermediaryMetrics metrics, ILogger<JobRunner> logger)
    {
        _metrics = metrics;
        _store = store;
        _client = client;
        _tokens = tokens;
        _follower = follower;
        _running = running;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Identifies this worker's leases.</summary>
    public string WorkerId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    private JobOptions Jobs => _options.Value.Jobs;

    /// <param name="jobId">The message's content.</param>
    /// <param name="deliveryCount">How often this message has been delivered (1 the first time), for poison detection.</param>
    /// <param name="cancellationToken">Host shutdown: the job is left for another delivery, not failed.</param>
    public async Task<JobRunResult> RunAsync(string jobId, int deliveryCount, CancellationToken cancellationToken)
    {
        if (!JobRecord.IsWellFormedId(jobId))
        {
            LogMalformedMessage(_logger);
            return JobRunResult.Done;
        }

        for (var conflict = 0; conflict < JobDefaults.ConflictRetries; conflict++)
        {
            var job = await _store.GetAsync(jobId, cancellationToken);
            var now = _time.GetUtcNow();
            if (job is null || job.Status.IsTerminal() || job.ExpiresAt <= now)
            {
                return JobRunResult.Done;
            }

            if (job.CancelRequested)
            {
                if (await FinishAsync(job, Canceled(), cancellationToken) is not null)
                {
                    return JobRunResult.Done;
                }

                continue;
            }

            if (job.Status == JobStatus.Running && job.LeaseExpiresAt > now)
            {
                // A live worker (possibly this one, for a duplicate delivery) has it; look again when its lease runs out.
                return JobRunResult.Later(job.LeaseExpiresAt.Value - now);
            }

            if (deliveryCount > Jobs.MaxDeliveries || job.RunCount >= Jobs.MaxDeliveries)
            {
                LogPoisoned(_logger, jobId, Math.Max(deliveryCount, job.RunCount));
                var poisoned = Envelope.Failure(EnvelopeCode.JobFailed,
                    $"The job was started {Math.Max(deliveryCount - 1, job.RunCount)} times without finishing (the worker stopped each time); it will not be tried again.");
                if (await FinishAsync(job, poisoned, cancellationToken) is not null)
                {
                    return JobRunResult.Done;
                }

                continue;
            }

            var claimed = await _store.TryReplaceAsync(job with
            {
                Status = JobStatus.Running,
                LeaseOwner = WorkerId,
                LeaseExpiresAt = now + Jobs.LeaseDuration,
                RunCount = job.RunCount + 1,
                UpdatedAt = now,
            }, cancellationToken);
            if (claimed is not null)
            {
                return await RunClaimedAsync(claimed, cancellationToken);
            }
        }

        return JobRunResult.Later(Jobs.PollInterval);
    }

    private async Task<JobRunResult> RunClaimedAsync(JobRecord job, CancellationToken shutdown)
    {
        using var activity = IntermediaryDiagnostics.ActivitySource.StartActivity("job run");
        activity?.SetTag("intermediary.job.id", job.Id);
        activity?.SetTag("intermediary.upstream", job.Upstream);
        using var execution = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        using var deadline = new CancellationTokenSource(Jobs.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(execution.Token, deadline.Token);
        using var stopHeartbeat = new CancellationTokenSource();
        using var registration = _running.Register(job.Id, execution);
        var heartbeat = HeartbeatAsync(job.Id, execution, stopHeartbeat.Token);

        Envelope? outcome = null;
        try
        {
            outcome = await ExecuteAsync(job, linked.Token);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            // Decided below from what cancelled it.
        }
        finally
        {
            await stopHeartbeat.CancelAsync();
            await heartbeat;
        }

        if (shutdown.IsCancellationRequested)
        {
            // The host is stopping: leave the job to the next delivery once the lease runs out.
            return JobRunResult.Later(TimeSpan.Zero);
        }

        if (deadline.IsCancellationRequested)
        {
            outcome = Envelope.Failure(EnvelopeCode.Timeout, $"The job did not finish within its {Jobs.Timeout.TotalMinutes:0.#} minute budget.", EnvelopeSource.Network);
        }

        // The upstream has answered: keep trying to store the outcome through a short store outage rather than
        // lose it and have the job run (and call the upstream) again.
        return await StoreWithRetriesAsync(job.Id, () => SaveOutcomeAsync(job.Id, outcome), shutdown);
    }

    private async Task<JobRunResult> SaveOutcomeAsync(string jobId, Envelope? outcome)
    {
        var current = await _store.GetAsync(jobId, CancellationToken.None);
        if (current is null || current.Status.IsTerminal() || current.LeaseOwner != WorkerId)
        {
            // Someone else owns it now (our lease lapsed); their result stands.
            return JobRunResult.Done;
        }

        var result = current.CancelRequested ? Canceled() : outcome ?? Canceled();
        for (var conflict = 0; conflict < JobDefaults.ConflictRetries && current is not null; conflict++)
        {
            if (await FinishAsync(current, result, CancellationToken.None) is not null)
            {
                LogFinished(_logger, jobId, result.Code);
                return JobRunResult.Done;
            }

            current = await _store.GetAsync(jobId, CancellationToken.None);
            if (current is null || current.Status.IsTerminal())
            {
                return JobRunResult.Done;
            }

            result = current.CancelRequested ? Canceled() : result;
        }

        return JobRunResult.Later(Jobs.PollInterval);
    }

    /// <summary>
    /// Runs a store operation again after failures (0.5 s, doubling, up to 15 s between tries, about a minute in
    /// all); the last failure propagates, and the message is delivered again. Stops waiting when the host stops.
    /// </summary>
    private async Task<T> StoreWithRetriesAsync<T>(string jobId, Func<Task<T>> operation, CancellationToken shutdown)
    {
        var delay = JobDefaults.FirstStoreRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation();
            }
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < JobDefaults.StoreAttempts && !shutdown.IsCancellationRequested)
            {
                LogStoreRetry(_logger, ex, jobId, attempt);
                await Task.Delay(delay, _time, shutdown);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, JobDefaults.LongestStoreRetryDelay.Ticks));
            }
        }
    }

    private async Task<Envelope> ExecuteAsync(JobRecord job, CancellationToken cancellationToken)
    {
        var headers = job.Request.Headers.ToList();
        if (!headers.Any(h => h.Key.Equals("Idempotency-Key", StringComparison.OrdinalIgnoreCase)))
        {
            // Makes the job's POSTs safe to retry, and lets the upstream recognise a redelivered job.
            headers.Add(new("Idempotency-Key", job.Id));
        }

        var request = new UpstreamRequest(job.Upstream, HttpMethod.Parse(job.Request.Method), job.Request.Path, job.Request.Query,
            headers, job.Request.Body, job.CorrelationId)
        {
            UserSessionJob = job.Owner is null ? null : job.Id,
        };
        var result = await _client.SendAsync(request, Jobs.Timeout, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (!OperationFollower.IsOperationStart(result))
        {
            return result.Envelope;
        }

        var followed = await _follower.FollowAsync(request, result, Jobs.Timeout, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        return followed;
    }

    /// <summary>Renews the lease while the job runs; cancels the run when a cancel is requested or the lease is lost.</summary>
    private async Task HeartbeatAsync(string jobId, CancellationTokenSource execution, CancellationToken stop)
    {
        var interval = Jobs.LeaseDuration / 3;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(interval, _time, stop);
                if (await RenewLeaseAsync(jobId, stop) is false)
                {
                    await execution.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>False when the run must stop (cancel requested, lease lost, job gone); null when the store could not be reached.</summary>
    private async Task<bool?> RenewLeaseAsync(string jobId, CancellationToken stop)
    {
        try
        {
            var job = await _store.GetAsync(jobId, stop);
            if (job is null || job.Status.IsTerminal() || job.LeaseOwner != WorkerId || job.CancelRequested)
            {
                return false;
            }

            var now = _time.GetUtcNow();
            await _store.TryReplaceAsync(job with { LeaseExpiresAt = now + Jobs.LeaseDuration, UpdatedAt = now }, stop);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The store is unreachable for now: the run goes on. If the outage outlasts the lease, another worker
            // may take the job over, and this one stops at its next renewal, when it sees that.
            LogHeartbeatFailed(_logger, ex, jobId);
            return null;
        }
    }

    private async Task<JobRecord?> FinishAsync(JobRecord job, Envelope result, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var status = result.Code == EnvelopeCode.JobCanceled ? JobStatus.Canceled : result.Ok ? JobStatus.Succeeded : JobStatus.Failed;
        var finished = await _store.TryReplaceAsync(job with
        {
            Status = status,
            ResultJson = JsonSerializer.Serialize(result, EnvelopeJsonContext.Default.Envelope),
            CompletedAt = now,
            UpdatedAt = now,
            LeaseOwner = null,
            LeaseExpiresAt = null,
        }, cancellationToken);
        if (finished is not null)
        {
            _metrics.JobCompleted(status.ToWire(), result.Code, now - job.CreatedAt);
            if (job.Owner is not null)
            {
                // Nothing acts for the user after the job has ended.
                await _tokens.EndUserSessionAsync(job.Upstream, job.Id);
            }
        }

        return finished;
    }

    internal static Envelope Canceled() => Envelope.Failure(EnvelopeCode.JobCanceled, "The job was canceled.");

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Ignored a job message that is not a job id")]
    private static partial void LogMalformedMessage(ILogger logger);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Job {JobId} failed as poison after {Deliveries} deliveries")]
    private static partial void LogPoisoned(ILogger logger, string jobId, int deliveries);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Could not renew the lease of job {JobId}; the run goes on")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Storing the outcome of job {JobId} failed (try {Attempt}); trying again")]
    private static partial void LogStoreRetry(ILogger logger, Exception exception, string jobId, int attempt);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Job {JobId} finished: {Code}")]
    private static partial void LogFinished(ILogger logger, string jobId, EnvelopeCode code);
}
