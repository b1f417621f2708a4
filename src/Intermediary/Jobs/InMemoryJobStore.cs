namespace Intermediary.Jobs;

/// <summary>The embedded default: jobs in this process's memory, gone when it stops.</summary>
internal sealed class InMemoryJobStore : IJobStore
{
    private readonly Dictionary<string, JobRecord> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _idempotency = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Task<(JobRecord Job, bool Created)> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (job.IdempotencyHash is { } hash && _idempotency.TryGetValue(hash, out var existingId) && _jobs.TryGetValue(existingId, out var existing))
            {
                return Task.FromResult((existing, false));
            }

            var stored = job with { ETag = NewETag() };
            _jobs.Add(stored.Id, stored);
            if (job.IdempotencyHash is { } newHash)
            {
                _idempotency[newHash] = stored.Id;
            }

            return Task.FromResult((stored, true));
        }
    }

    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_jobs.GetValueOrDefault(id));
        }
    }

    public Task<JobRecord?> TryReplaceAsync(JobRecord job, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(job.Id, out var current) || current.ETag != job.ETag)
            {
                return Task.FromResult<JobRecord?>(null);
            }

            var stored = job with { ETag = NewETag() };
            _jobs[job.Id] = stored;
            return Task.FromResult<JobRecord?>(stored);
        }
    }

    public Task<IReadOnlyList<JobRecord>> ListRecoverableAsync(DateTimeOffset now, DateTimeOffset queuedBefore, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<JobRecord> recoverable = _jobs.Values
                .Where(j => (j.Status == JobStatus.Running && j.LeaseExpiresAt <= now) || (j.Status == JobStatus.Queued && j.UpdatedAt <= queuedBefore))
                .ToList();
            return Task.FromResult(recoverable);
        }
    }

    public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var expired = _jobs.Values.Where(j => j.ExpiresAt <= now).ToList();
            foreach (var job in expired)
            {
                _jobs.Remove(job.Id);
                if (job.IdempotencyHash is { } hash)
                {
                    _idempotency.Remove(hash);
                }
            }

            return Task.FromResult(expired.Count);
        }
    }

    private static string NewETag() => Guid.NewGuid().ToString("N");
}
