namespace Intermediary.Jobs;

/// <summary>Where job records live. Every change is a compare-and-swap on the record's ETag.</summary>
internal interface IJobStore
{
    /// <summary>
    /// Stores a new job in one atomic write, unless a job with the same id exists (the same Idempotency-Key, see
    /// <see cref="JobRecord.IdFor"/>): then that one is returned and <c>Created</c> is false.
    /// </summary>
    /// <exception cref="JobStoreFullException">A bounded store has no room left.</exception>
    Task<(JobRecord Job, bool Created)> CreateAsync(JobRecord job, CancellationToken cancellationToken);

    Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Replaces the job if it still has <paramref name="job"/>'s ETag; null when someone changed it first.</summary>
    Task<JobRecord?> TryReplaceAsync(JobRecord job, CancellationToken cancellationToken);

    /// <summary>Jobs that need a worker again: running with an expired lease, or queued for longer than <paramref name="queuedBefore"/>.</summary>
    Task<IReadOnlyList<JobRecord>> ListRecoverableAsync(DateTimeOffset now, DateTimeOffset queuedBefore, CancellationToken cancellationToken);

    /// <summary>Deletes jobs past their expiry (and what belongs to them); returns how many.</summary>
    Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>A delivery of "run this job": at least once, possibly more.</summary>
internal sealed record JobMessage(string JobId, int DeliveryCount, object? Receipt);

/// <summary>Dispatch of job ids to workers.</summary>
internal interface IJobQueue
{
    Task EnqueueAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>The next message, waiting for one; null when cancelled.</summary>
    Task<JobMessage?> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Done with it: it will not be delivered again.</summary>
    Task CompleteAsync(JobMessage message, CancellationToken cancellationToken);

    /// <summary>Deliver it again after <paramref name="delay"/> (its delivery count goes up).</summary>
    Task ReleaseAsync(JobMessage message, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Keeps a message being worked on from being delivered to another worker.</summary>
    Task<JobMessage> RenewAsync(JobMessage message, CancellationToken cancellationToken);
}
