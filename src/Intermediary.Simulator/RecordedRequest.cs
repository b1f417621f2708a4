namespace Intermediary.Simulator;

/// <summary>A request that reached the demo API backend, as the gateway received it.</summary>
/// <param name="PathAndQuery">Full request path including the "/demo" prefix, plus the query string.</param>
/// <param name="Headers">Request headers (case-insensitive names; repeated values joined with ", ").</param>
public sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers);
