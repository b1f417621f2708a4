using System.Security.Cryptography;

namespace Intermediary.Jobs;

/// <summary>The request a job will send, captured when it was started (headers already filtered).</summary>
internal sealed record JobRequest(
    string Method,
    string Path,
    string? Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body);

/// <summary>
/// One job as stored. Changed only by replacing it with the <see cref="ETag"/> it was read with, so concurrent
/// workers, pollers and cancellations never overwrite each other.
/// </summary>
internal sealed record JobRecord
{
    public required string Id { get; init; }
    public required string Upstream { get; init; }
    public required JobRequest Request { get; init; }
    public required string CorrelationId { get; init; }
    public JobStatus Status { get; init; } = JobStatus.Queued;

    /// <summary>Hash of (caller, upstream, Idempotency-Key) when the caller sent one; the job's id is derived from it.</summary>
    public string? IdempotencyHash { get; init; }

    /// <summary>
    /// For a job acting for a signed-in user (an OnBehalfOf upstream): <c>{tenant id}/{object id}</c> of that user, the
    /// only caller who may see or cancel it. Its tokens come from its long-running session, never stored here.
    /// </summary>
    public string? Owner { get; init; }

    /// <summary>The finished job's envelope, serialized (what a poll returns once the job is terminal).</summary>
    public string? ResultJson { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Times a worker has claimed this job.</summary>
    public int RunCount { get; init; }

    public string? LeaseOwner { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public bool CancelRequested { get; init; }

    /// <summary>Version stamp set by the store; compared on every replace.</summary>
    public string ETag { get; init; } = "";

    /// <summary>Where the store keeps a request too large to hold inline (Azure: its blob), set by the store.</summary>
    public string? RequestBlob { get; init; }

    /// <summary>128 random bits, hex: unguessable, URL- and storage-key-safe.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The id of the job started with an idempotency hash: the same hash always names the same job, so storing the
    /// job is the one atomic write that maps the key to it (a crash cannot leave a job without its key or a key
    /// without its job). Unguessable like a random id: the hash covers the caller's own function key.
    /// </summary>
    public static string IdFor(string idempotencyHash) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("intermediary-job\n" + idempotencyHash)).AsSpan(0, 16));

    public static bool IsWellFormedId(string? id) =>
        id is { Length: 32 } && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
