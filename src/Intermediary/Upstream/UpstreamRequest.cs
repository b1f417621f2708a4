namespace Intermediary.Upstream;

/// <summary>A validated request to forward: the path was checked and the headers filtered before this exists.</summary>
internal sealed record UpstreamRequest(
    string Upstream,
    HttpMethod Method,
    string Path,
    string? Query,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    ReadOnlyMemory<byte>? Body,
    string CorrelationId)
{
    /// <summary>The signed-in user the call is made for (upstreams called on behalf of the user); never stored with a job.</summary>
    public Tokens.ValidatedUser? User { get; init; }

    /// <summary>For a job acting for its user: the job whose long-running session supplies the user's tokens.</summary>
    public string? UserSessionJob { get; init; }

    /// <summary>The call is made for a user (their token now, or a job's session), not as the service itself.</summary>
    public bool ActsForUser => User is not null || UserSessionJob is not null;

    private static readonly HashSet<HttpMethod> s_idempotent = [HttpMethod.Get, HttpMethod.Head, HttpMethod.Options, HttpMethod.Put, HttpMethod.Delete];

    /// <summary>Safe to send twice: an idempotent method, or the caller (or a job) supplied an Idempotency-Key.</summary>
    public bool IsRetrySafe =>
        s_idempotent.Contains(Method) || Headers.Any(h => h.Key.Equals("Idempotency-Key", StringComparison.OrdinalIgnoreCase));
}
