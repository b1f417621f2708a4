using System.Globalization;

// The runtime looks for exactly this: a type named StartupHook outside any namespace with a static Initialize().
#pragma warning disable CA1050 // Declare types in namespaces
#pragma warning disable CA1812 // The runtime creates nothing; it calls the static method by name.

/// <summary>
/// Runs in the measured process before its Main. When INTERMEDIARY_BENCH_STATS names a folder, a background thread
/// writes <c>{pid}.stats</c> there every 100 ms: allocated bytes, GC counts per generation, total GC pause and the
/// working set. The file is replaced atomically, so a reader always sees one whole line.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        var folder = Environment.GetEnvironmentVariable("INTERMEDIARY_BENCH_STATS");
        if (string.IsNullOrEmpty(folder))
        {
            return;
        }

        var path = Path.Combine(folder, $"{Environment.ProcessId}.stats");
        // INTERMEDIARY_BENCH_ALLOCATIONS=1: also the types allocated most, in {pid}.allocations (sampling costs a little CPU).
        var sampler = Environment.GetEnvironmentVariable("INTERMEDIARY_BENCH_ALLOCATIONS") == "1" ? new Intermediary.Bench.Stats.AllocationSampler() : null;
        var thread = new Thread(() =>
        {
            while (true)
            {
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"{GC.GetTotalAllocatedBytes(precise: false)} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)} {GC.GetTotalPauseDuration().TotalMilliseconds:0.###} {Environment.WorkingSet}");
                File.WriteAllText(path + ".tmp", line);
                File.Move(path + ".tmp", path, overwrite: true);
                if (sampler is not null)
                {
                    File.WriteAllText(Path.ChangeExtension(path, ".allocations"), sampler.Top(40));
                }

                Thread.Sleep(100);
            }
        })
        { IsBackground = true, Name = "bench stats" };
        thread.Start();
    }
}
