using System.Text.Json;
using System.Text.Json.Serialization;
using Intermediary.Simulator.Api;

namespace Intermediary.Simulator.Lro;

/// <summary>The 202 body of an operation-style start.</summary>
internal sealed record LroStarted(string Id);

/// <summary>An operation's status: Running (with progress), Succeeded (with the result) or Failed (with the error).</summary>
internal sealed record LroStatus(string Id, string Status, int? PercentComplete = null, LroResult? Result = null, AzureError? Error = null);

/// <summary>What a finished operation produced; <see cref="Input"/> is written even when null.</summary>
internal sealed record LroResult(
    string Id,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JsonElement? Input);
