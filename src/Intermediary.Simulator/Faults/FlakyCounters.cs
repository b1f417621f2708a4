using System.Collections.Concurrent;

namespace Intermediary.Simulator.Faults;

/// <summary>Per-key call counts for /faults/flaky.</summary>
internal sealed class FlakyCounters
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    /// <summary>Counts a call and returns its number for the key, starting at 1.</summary>
    public int Next(string key) => _calls.AddOrUpdate(key, 1, (_, calls) => calls + 1);

    public void Reset() => _calls.Clear();
}
