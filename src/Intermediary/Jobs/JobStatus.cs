using System.Text.Json.Serialization;

namespace Intermediary.Jobs;

/// <summary>A job's state. Moves only forward: queued → running → succeeded | failed | canceled.</summary>
public enum JobStatus
{
    [JsonStringEnumMemberName("queued")] Queued,
    [JsonStringEnumMemberName("running")] Running,
    [JsonStringEnumMemberName("succeeded")] Succeeded,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("canceled")] Canceled,
}

internal static class JobStatusExtensions
{
    public static bool IsTerminal(this JobStatus status) => status is JobStatus.Succeeded or JobStatus.Failed or JobStatus.Canceled;

    public static string ToWire(this JobStatus status) => status.ToString().ToLowerInvariant();

    public static JobStatus FromWire(string value) => Enum.Parse<JobStatus>(value, ignoreCase: true);
}
