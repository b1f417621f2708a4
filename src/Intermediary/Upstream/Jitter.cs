namespace Intermediary.Upstream;

/// <summary>Randomness for backoff jitter, injectable so tests get the same delays every run.</summary>
internal sealed class Jitter(Func<double> next)
{
    public static readonly Jitter Shared = new(Random.Shared.NextDouble);

    /// <summary>A value in [0, 1).</summary>
    public double Next() => next();
}
