using Intermediary.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Jobs;

/// <summary>
/// Periodic job housekeeping, host-neutral: re-dispatches jobs whose worker died (expired lease) or whose message
/// was lost, and purges expired jobs. The Server host's dispatcher runs it on a timer; the Functions host from a
/// timer-triggered function.
/// </summary>
public sealed partial class JobMaintenance
{
    private readonly IJobStore _store;
    private readonly IJobQueue _queue;
    private readonly IOptions<IntermediaryOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<JobMaintenance> _logger;

    internal JobMaintenance(IJobStore store, IJobQueue queue, IOptions<IntermediaryOptions> options, TimeProvider time, ILogger<JobMaintenance> logger)
    {
        _store = store;
        _queue = queue;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Re-dispatches jobs that need a worker again; returns how many.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var recovered = 0;
        try
        {
            var staleQueued = now - (2 * _options.Value.Jobs.LeaseDuration);
            foreach (var job in await _store.ListRecoverableAsync(now, staleQueued, cancellationToken))
            {
                // Touching the record first keeps the same job from being re-dispatched on every sweep.
                if (await _store.TryReplaceAsync(job with { UpdatedAt = now }, cancellationToken) is not null)
                {
                    await _queue.EnqueueAsync(job.Id, cancellationToken);
                    recovered++;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRecoveryFailed(_logger, ex);
        }

        if (recovered > 0)
        {
            LogRecovered(_logger, recovered);
        }

        return recovered;
    }

    /// <summary>Deletes jobs past their time to live; returns how many.</summary>
    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        try
        {
            var purged = await _store.PurgeExpiredAsync(_time.GetUtcNow(), cancellationToken);
            if (purged > 0)
            {
                LogPurged(_logger, purged);
            }

            return purged;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPurgeFailed(_logger, ex);
            return 0;
        }
    }

    [LoggerMessage(EventId = 4203, Level = LogLevel.Information, Message = "Re-dispatched {Count} job(s) whose worker stopped or whose message was lost")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(EventId = 4204, Level = LogLevel.Information, Message = "Purged {Count} expired job(s)")]
    private static partial void LogPurged(ILogger logger, int count);

    [LoggerMessage(EventId = 4205, Level = LogLevel.Warning, Message = "Job recovery sweep failed; it runs again next interval")]
    private static partial void LogRecoveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4206, Level = LogLevel.Warning, Message = "Purging expired jobs failed; it runs again next interval")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
