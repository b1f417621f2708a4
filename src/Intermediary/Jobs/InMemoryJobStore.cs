using System.Collections.Concurrent;
using Intermediary.Configuration;
using Intermediary.Tokens;

namespace Intermediary.Jobs;

/// <summary>
/// The embedded default: jobs in this process's memory, gone when it stops. Bounded in count and bytes: when a new
/// job would not fit, finished jobs are evicted oldest-completed first (their pollers then see JobNotFound before
/// the time to live); when only queued or running jobs are left, new jobs are refused. A job that finishes is
/// always stored with its result, even past the byte limit, so no running job's outcome is lost. A job acting for a
/// user keeps its sealed session here too (a few KiB, not counted in the limits), removed with the job.
/// </summary>
internal sealed class InMemoryJobStore(InMemoryStoreOptions limits) : IJobStore, IUserSessionStore
{
    // Record, strings and dictionary entry: a measured ~3.9 KiB per job before its body and result.
    private const long FixedBytesPerJob = 4 * 1024;

    private readonly Dictionary<string, Entry> _jobs = new(StringComparer.Ordinal);
    private readonly Queue<string> _finishedOrder = new();
    private readonly ConcurrentDictionary<string, byte[]> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _bytes;
    private long _finishedBytes;
    private int _finishedCount;

    public InMemoryJobStore()
        : this(new InMemoryStoreOptions())
    {
    }

    /// <summary>Jobs held now (for tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _jobs.Count;
            }
        }
    }

    /// <summary>Estimated bytes held now (for tests and diagnostics).</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public Task<(JobRecord Job, bool Created)> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_jobs.TryGetValue(job.Id, out var existing))
            {
                return Task.FromResult((existing.Job, false));
            }

            var size = SizeOf(job);
            if (_jobs.Count - _finishedCount + 1 > limits.MaxJobs || _bytes - _finishedBytes + size > limits.MaxBytes)
            {
                // Even evicting every finished job would not make room: refuse, and evict nothing for nothing.
                throw new JobStoreFullException(limits.MaxJobs, limits.MaxBytes);
            }

            var stored = job with { ETag = NewETag() };
            MakeRoom(size, exceptId: null);
            Put(stored, size);
            return Task.FromResult((stored, true));
        }
    }

    public Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_jobs.TryGetValue(id, out var entry) ? entry.Job : null);
        }
    }

    public Task<JobRecord?> TryReplaceAsync(JobRecord job, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(job.Id, out var current) || current.Job.ETag != job.ETag)
            {
                return Task.FromResult<JobRecord?>(null);
            }

            var stored = job with { ETag = NewETag() };
            var size = SizeOf(stored);
            Track(current, -1);
            _jobs.Remove(job.Id);
            MakeRoom(size, exceptId: job.Id);
            Put(stored, size);
            if (stored.Status.IsTerminal())
            {
                // Its place in the eviction order starts now (an old entry for it, if any, is skipped or harmless).
                _finishedOrder.Enqueue(stored.Id);
            }

            return Task.FromResult<JobRecord?>(stored);
        }
    }

    public Task<IReadOnlyList<JobRecord>> ListRecoverableAsync(DateTimeOffset now, DateTimeOffset queuedBefore, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<JobRecord> recoverable = _jobs.Values.Select(e => e.Job)
                .Where(j => (j.Status == JobStatus.Running && j.LeaseExpiresAt <= now) || (j.Status == JobStatus.Queued && j.UpdatedAt <= queuedBefore))
                .ToList();
            return Task.FromResult(recoverable);
        }
    }

    public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var expired = _jobs.Values.Where(e => e.Job.ExpiresAt <= now).Select(e => e.Job.Id).ToList();
            expired.ForEach(Remove);

            // Drop eviction-order entries of jobs no longer here, so the order never outgrows the store.
            var order = _finishedOrder.Where(id => _jobs.TryGetValue(id, out var entry) && entry.Job.Status.IsTerminal()).Distinct().ToList();
            _finishedOrder.Clear();
            order.ForEach(_finishedOrder.Enqueue);
            return Task.FromResult(expired.Count);
        }
    }

    /// <summary>Evicts finished jobs, oldest completed first, until <paramref name="size"/> more bytes and one more job fit.</summary>
    private void MakeRoom(long size, string? exceptId)
    {
        var extraJob = 1;
        while ((_jobs.Count + extraJob > limits.MaxJobs || _bytes + size > limits.MaxBytes) && _finishedOrder.TryDequeue(out var oldest))
        {
            // The queue may name jobs already purged or replaced; only a finished job still here is evicted.
            if (oldest != exceptId && _jobs.TryGetValue(oldest, out var entry) && entry.Job.Status.IsTerminal())
            {
                Remove(oldest);
            }
        }
    }

    private void Put(JobRecord job, long size)
    {
        var entry = new Entry(job, size);
        _jobs[job.Id] = entry;
        Track(entry, +1);
    }

    private void Remove(string id)
    {
        if (_jobs.Remove(id, out var entry))
        {
            Track(entry, -1);
        }

        _sessions.TryRemove(id, out _);
    }

    public Task<byte[]?> ReadSessionAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult(_sessions.TryGetValue(jobId, out var session) ? session : null);

    public Task WriteSessionAsync(string jobId, byte[] sealedSession, CancellationToken cancellationToken)
    {
        _sessions[jobId] = sealedSession;
        return Task.CompletedTask;
    }

    public Task DeleteSessionAsync(string jobId, CancellationToken cancellationToken)
    {
        _sessions.TryRemove(jobId, out _);
        return Task.CompletedTask;
    }

    /// <summary>Sessions held now (for tests).</summary>
    internal int SessionCount => _sessions.Count;

    /// <summary>Counts an entry in (+1) or out (-1) of the totals, and of the evictable (finished) totals.</summary>
    private void Track(Entry entry, int sign)
    {
        _bytes += sign * entry.Size;
        if (entry.Job.Status.IsTerminal())
        {
            _finishedBytes += sign * entry.Size;
            _finishedCount += sign;
        }
    }

    private static long SizeOf(JobRecord job)
    {
        var request = job.Request;
        long chars = request.Path.Length + (request.Query?.Length ?? 0) + (job.ResultJson?.Length ?? 0) + job.CorrelationId.Length;
        foreach (var (name, value) in request.Headers)
        {
            chars += name.Length + value.Length;
        }

        return FixedBytesPerJob + (2 * chars) + (request.Body?.Length ?? 0);
    }

    private static string NewETag() => Guid.NewGuid().ToString("N");

    private sealed record Entry(JobRecord Job, long Size);
}

/// <summary>The in-memory job store holds as many jobs (or bytes) as it may and none has finished: try again later.</summary>
internal sealed class JobStoreFullException : Exception
{
    public JobStoreFullException(int maxJobs, long maxBytes)
        : base($"The in-memory job store is full ({maxJobs} jobs or {maxBytes} bytes, none of them finished).")
    {
    }

    public JobStoreFullException()
    {
    }

    public JobStoreFullException(string message)
        : base(message)
    {
    }

    public JobStoreFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
