using System.Text.Json;
using System.Text.Json.Serialization;

namespace Intermediary.Jobs;

/// <summary>Serialization of what a job stores: the captured request and the start body flows send.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobStartBody))]
internal sealed partial class JobJsonContext : JsonSerializerContext;

/// <summary><c>POST /api/jobs/{upstream}</c> body: the request to run later, described as JSON (for flows).</summary>
internal sealed record JobStartBody(
    string? Method,
    string? Path,
    Dictionary<string, string>? Query,
    Dictionary<string, string>? Headers,
    JsonElement? Body);
