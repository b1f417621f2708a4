using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Intermediary.Simulator.Api;
using Intermediary.Simulator.Faults;
using Intermediary.Simulator.Jobs;
using Intermediary.Simulator.Lro;

namespace Intermediary.Simulator.Gateway;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApimError))]
[JsonSerializable(typeof(Item))]
[JsonSerializable(typeof(IReadOnlyList<Item>))]
[JsonSerializable(typeof(AzureErrorResponse))]
[JsonSerializable(typeof(ValidationProblem))]
[JsonSerializable(typeof(EchoResponse))]
[JsonSerializable(typeof(WhoAmIResponse))]
[JsonSerializable(typeof(FlakyResult))]
[JsonSerializable(typeof(SlowResult))]
[JsonSerializable(typeof(OutageResult))]
[JsonSerializable(typeof(RateLimitResult))]
[JsonSerializable(typeof(LroStarted))]
[JsonSerializable(typeof(LroStatus))]
[JsonSerializable(typeof(LroResult))]
[JsonSerializable(typeof(JobResult))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext
{
    /// <summary>Like APIM and ASP.NET Core backends, writes apostrophes literally rather than as \u0027.</summary>
    public static GatewayJsonContext Literal { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
