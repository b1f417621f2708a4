using System.Text.Json.Serialization;

namespace Intermediary.Envelopes;

/// <summary>Who produced the outcome, so a maker knows whom to ask.</summary>
public enum EnvelopeSource
{
    [JsonStringEnumMemberName("backend")] Backend,
    [JsonStringEnumMemberName("gateway")] Gateway,
    [JsonStringEnumMemberName("identity")] Identity,
    [JsonStringEnumMemberName("intermediary")] Intermediary,
    [JsonStringEnumMemberName("network")] Network,
}
