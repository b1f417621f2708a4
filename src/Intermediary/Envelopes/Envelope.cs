using System.Text.Json;

namespace Intermediary.Envelopes;

/// <summary>
/// The one response body every endpoint returns. Every property is always serialized (null where not
/// applicable) so Power Fx and flows see a stable schema.
/// </summary>
public sealed record Envelope
{
    public required bool Ok { get; init; }
    /// <summary>The HTTP status this outcome maps to (the response status in <c>status</c> error mode).</summary>
    public required int Status { get; init; }
    public required EnvelopeCode Code { get; init; }
    public required string Message { get; init; }
    public EnvelopeSource? Source { get; init; }
    public bool Retryable { get; init; }
    public int? RetryAfterSeconds { get; init; }
    public int Attempts { get; init; }
    public long DurationMs { get; init; }
    public string CorrelationId { get; init; } = "";
    private JsonElement? _data;
    private RawJson? _rawData;

    /// <summary>The upstream's JSON (or text as a string, binary as base64); parsed on first read when set as bytes.</summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(RawJsonElementConverter))]
    public JsonElement? Data
    {
        get => _data ?? _rawData?.Element;
        init
        {
            _data = value;
            _rawData = null;
        }
    }

    /// <summary>
    /// <see cref="Data"/> as the validated bytes it arrived in: what the envelope writer copies, so a successful call
    /// never parses its body into a document. Setting one of the two replaces the other.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal RawJson? RawData
    {
        get => _rawData;
        init
        {
            _rawData = value;
            _data = null;
        }
    }

    public UpstreamDetails? Upstream { get; init; }
    public JobDetails? Job { get; init; }

    /// <summary>How the response cache answered: null when the call did not go through it (see <see cref="CacheDetails"/>).</summary>
    public CacheDetails? Cache { get; init; }

    /// <summary>A failure decided by the service itself (validation, auth, routing), not by an upstream.</summary>
    public static Envelope Failure(EnvelopeCode code, string message, EnvelopeSource source = EnvelopeSource.Intermediary) => new()
    {
        Ok = false,
        Status = EnvelopeStatus.For(code),
        Code = code,
        Message = message,
        Source = source,
    };
}

/// <summary>What the upstream (gateway or backend) answered, when it answered at all.</summary>
public sealed record UpstreamDetails(int? Status, string? ContentType, string? Code, string? Message, string? RequestId)
{
    /// <summary>
    /// With <see cref="EnvelopeCode.InteractionRequired"/>: the identity provider's claims challenge (JSON, as a string)
    /// the user's next sign-in must satisfy. Written only when present.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Claims { get; init; }
}

/// <summary>Job state for the asynchronous endpoints.</summary>
public sealed record JobDetails(
    string? Id,
    string? Status,
    string? StatusUrl,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? ExpiresAt);

/// <summary>
/// How a cacheable call was answered. <paramref name="Hit"/>: from a kept answer, without asking the upstream.
/// <paramref name="Coalesced"/>: shared with an identical call in flight at the same time. <paramref name="Stale"/>: the
/// upstream failed and a kept answer older than its time to live stood in. <paramref name="AgeSeconds"/>: how old the
/// data is (0 for a fresh upstream answer).
/// </summary>
public sealed record CacheDetails(bool Hit, bool Coalesced, bool Stale, int AgeSeconds);
