using System.Text.Json;

namespace Intermediary.Simulator.Jobs;

/// <summary>What /jobs/slow answers; <see cref="Input"/> only for a POST (JSON null when it had no body).</summary>
internal sealed record JobResult(double WaitedSeconds, DateTimeOffset FinishedAt, JsonElement? Input = null);
