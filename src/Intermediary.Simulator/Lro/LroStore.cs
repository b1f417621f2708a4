using System.Collections.Concurrent;
using System.Text.Json;

namespace Intermediary.Simulator.Lro;

/// <summary>A simulated long-running operation: running until <see cref="Duration"/> has passed since <see cref="StartedAt"/>.</summary>
internal sealed record LroOperation(string Id, DateTimeOffset StartedAt, TimeSpan Duration, bool Fails, JsonElement? Input)
{
    public bool IsRunning(DateTimeOffset now) => now - StartedAt < Duration;

    /// <summary>0-99 while running; never 100, which only a finished operation reaches.</summary>
    public int PercentComplete(DateTimeOffset now) =>
        (int)Math.Clamp((now - StartedAt).Ticks * 100 / Math.Max(1, Duration.Ticks), 0, 99);
}

/// <summary>The long-running operations started since the last reset.</summary>
internal sealed class LroStore
{
    private readonly ConcurrentDictionary<string, LroOperation> _operations = new(StringComparer.Ordinal);
    private int _started;

    public int Started => Volatile.Read(ref _started);

    public LroOperation Start(DateTimeOffset now, TimeSpan duration, bool fails, JsonElement? input)
    {
        var operation = new LroOperation(Guid.NewGuid().ToString(), now, duration, fails, input);
        _operations[operation.Id] = operation;
        Interlocked.Increment(ref _started);
        return operation;
    }

    public LroOperation? Find(string id) => _operations.GetValueOrDefault(id);

    public void Reset()
    {
        _operations.Clear();
        Interlocked.Exchange(ref _started, 0);
    }
}
