using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Intermediary.Bench;

/// <summary>The load harness's results as a Markdown table with the goal ratios, and the data for the chart.</summary>
internal sealed class Report(ProxyComparison.Options options, int bodyBytes, IReadOnlyList<Target> targets)
{
    public IReadOnlyList<Target> Targets { get; } = targets;
    public WrkResult? JobStart { get; set; }
    public string Commit { get; } = GitCommit();
    public DateOnly Date { get; } = DateOnly.FromDateTime(DateTime.UtcNow);

    public bool AllSucceeded => Targets.SelectMany(t => t.Saturated.Concat(t.Paced)).All(r => r.Wrk.Non2xx == 0 && r.Wrk.SocketErrors == 0)
        && JobStart is null or { Non2xx: 0, SocketErrors: 0 };

    public Target this[string id] => Targets.Single(t => t.Id == id);

    public static double Median(IEnumerable<Round> rounds, Func<Round, double?> value) => BenchProcesses.Median(rounds, r => value(r) ?? double.NaN);

    public string ToMarkdown()
    {
        var s = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        s.AppendLine(inv, $"{Date:yyyy-MM-dd}, commit {Commit}, {Environment.ProcessorCount} cores, {Memory()}, .NET {RuntimeInformation.FrameworkDescription.Split(' ')[^1]}; ");
        s.AppendLine(inv, $"wrk -t2, {options.Rounds} interleaved rounds of {options.Duration.TotalSeconds:0} s at {options.Connections} connections after a {options.WarmUp.TotalSeconds:0} s warm-up; GET of a {bodyBytes}-byte JSON list; medians (min–max).");
        s.AppendLine();
        s.AppendLine("| Path | req/s | p50 ms | p99 ms | CPU µs per request | allocated per request | GCs gen0/1/2 per round | GC pause per round |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var t in Targets)
        {
            var r = t.Saturated;
            var load = string.Create(inv, $"| {t.Id} {t.Name} | {Median(r, x => x.Wrk.RequestsPerSecond):0} ({r.Min(x => x.Wrk.RequestsPerSecond):0}–{r.Max(x => x.Wrk.RequestsPerSecond):0}) | {Median(r, x => x.Wrk.P50Ms):0.00} | {Median(r, x => x.Wrk.P99Ms):0.00} |");
            var cost = t.Process is null ? " — | — | — | — |"
                : string.Create(inv, $" {Median(r, x => x.CpuMicrosecondsPerRequest):0} | {Median(r, x => x.AllocatedKiBPerRequest):0.0} KiB | {Median(r, x => x.Stats!.Gen0):0}/{Median(r, x => x.Stats!.Gen1):0}/{Median(r, x => x.Stats!.Gen2):0} | {Median(r, x => x.Stats!.GcPauseMs):0} ms |");
            s.AppendLine(load + cost);
        }

        s.AppendLine();
        s.AppendLine(inv, $"Below saturation ({options.PaceConnections} connections, 10 ms think time, {Targets[0].Paced.Count} rounds):");
        s.AppendLine();
        s.AppendLine("| Path | req/s | p50 ms | p99 ms | p50 added over A | p99 added over A |");
        s.AppendLine("| --- | --- | --- | --- | --- | --- |");
        var direct = Targets[0].Paced;
        foreach (var t in Targets)
        {
            var p = t.Paced;
            s.AppendLine(inv, $"| {t.Id} {t.Name} | {Median(p, x => x.Wrk.RequestsPerSecond):0} | {Median(p, x => x.Wrk.P50Ms):0.00} | {Median(p, x => x.Wrk.P99Ms):0.00} | {Median(p, x => x.Wrk.P50Ms) - Median(direct, x => x.Wrk.P50Ms):0.00} | {Median(p, x => x.Wrk.P99Ms) - Median(direct, x => x.Wrk.P99Ms):0.00} |");
        }

        s.AppendLine();
        s.AppendLine("Goals (issue 12), C against B in this run:");
        s.AppendLine();
        var b = this["B"];
        var c = this["C"];
        var throughput = Median(c.Saturated, x => x.Wrk.RequestsPerSecond) / Median(b.Saturated, x => x.Wrk.RequestsPerSecond);
        var cpu = Median(c.Saturated, x => x.CpuMicrosecondsPerRequest) / Median(b.Saturated, x => x.CpuMicrosecondsPerRequest);
        var allocated = Median(c.Saturated, x => x.AllocatedKiBPerRequest);
        var p99Gap = Median(c.Paced, x => x.Wrk.P99Ms) - Median(b.Paced, x => x.Wrk.P99Ms);
        s.AppendLine(inv, $"- throughput C/B {throughput:0.00} (goal ≥ 0.90): {Verdict(throughput >= 0.9)}");
        s.AppendLine(inv, $"- CPU per request C/B {cpu:0.00} (goal ≤ 1.20): {Verdict(cpu <= 1.2)}");
        s.AppendLine(inv, $"- allocated per request by C {allocated:0.0} KiB (goal ≤ 12 KiB): {Verdict(allocated <= 12)}");
        s.AppendLine(inv, $"- p99 added over A below saturation, C − B {p99Gap:0.00} ms (goal ≤ 1 ms): {Verdict(p99Gap <= 1)}");
        foreach (var t in Targets.Where(t => t.StartStats is not null && t.EndStats is not null))
        {
            var requests = t.Saturated.Sum(r => r.Wrk.Requests);
            var change = (double)t.EndStats!.WorkingSetBytes / t.StartStats!.WorkingSetBytes - 1;
            s.AppendLine(inv, $"- working set of {t.Id} over {requests:N0} requests: {t.StartStats.WorkingSetBytes / 1048576.0:0} → {t.EndStats.WorkingSetBytes / 1048576.0:0} MiB ({change:+0.0%;-0.0%}; goal within ±10 %): {Verdict(Math.Abs(change) <= 0.1)}");
        }

        if (JobStart is { } job)
        {
            s.AppendLine(inv, $"- job start on C (in-memory store, {options.PaceConnections} connections, 10 ms think time): {job.RequestsPerSecond:0} starts/s, p50 {job.P50Ms:0.00} ms, p99 {job.P99Ms:0.00} ms");
        }

        if (!AllSucceeded)
        {
            s.AppendLine();
            s.AppendLine("**Some requests failed (non-2xx or socket errors): see the rounds above; these figures do not compare like with like.**");
        }

        return s.ToString();
    }

    private static string Verdict(bool met) => met ? "met" : "**not met**";

    private static string Memory()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{kib / 1048576.0:0} GiB");
    }

    private static string GitCommit()
    {
        try
        {
            var start = new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = BenchProcesses.RepositoryRoot };
            using var git = Process.Start(start)!;
            var commit = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            var dirty = new ProcessStartInfo("git", "status --porcelain --untracked-files=no") { RedirectStandardOutput = true, WorkingDirectory = BenchProcesses.RepositoryRoot };
            using var status = Process.Start(dirty)!;
            var changes = status.StandardOutput.ReadToEnd().Trim();
            status.WaitForExit();
            return changes.Length > 0 ? commit + " + local changes" : commit;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }
}
