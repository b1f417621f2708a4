using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Intermediary.Bench;

/// <summary>
/// Where a process spends its CPU, by component: Linux <c>perf</c> samples the process's threads with their call
/// stacks (frame pointers; the runtime writes a perf map of compiled methods when started with
/// <c>DOTNET_PerfMapEnabled=1</c>), and each sample goes to the innermost frame that names a component. Kernel and
/// JIT frames at the top of a stack are their own components: the time is spent there, whoever asked.
/// </summary>
internal static class CpuStacks
{
    private const int Frequency = 499;

    /// <summary>Whether perf can be run here (it is a Debian package: <c>linux-perf</c>).</summary>
    public static bool Available() => File.Exists("/usr/bin/perf");

    /// <summary>Records <paramref name="processId"/> for <paramref name="duration"/> while <paramref name="load"/> runs.</summary>
    public static async Task CollectAsync(int processId, string dataPath, TimeSpan duration, Func<Task> load)
    {
        var start = new ProcessStartInfo("perf") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "record", "-F", $"{Frequency}", "-g", "-p", $"{processId}", "-o", dataPath, "--", "sleep", $"{(int)duration.TotalSeconds}" })
        {
            start.ArgumentList.Add(argument);
        }

        using var perf = Process.Start(start)!;
        var errors = perf.StandardError.ReadToEndAsync();
        await load();
        await perf.WaitForExitAsync();
        if (perf.ExitCode != 0)
        {
            throw new InvalidOperationException($"perf record failed ({perf.ExitCode}): {await errors}");
        }
    }

    /// <summary>The shares per component, with µs per request from the measured rounds' CPU per request.</summary>
    public static async Task<string> SummarizeAsync(string dataPath, double cpuMicrosPerRequest)
    {
        var start = new ProcessStartInfo("perf") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "script", "-i", dataPath, "-F", "ip,sym,dso" })
        {
            start.ArgumentList.Add(argument);
        }

        using var perf = Process.Start(start)!;
        _ = perf.StandardError.ReadToEndAsync();
        var components = new Dictionary<string, int>(StringComparer.Ordinal);
        var frames = new List<string>();
        var samples = 0;
        while (await perf.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                if (frames.Count > 0)
                {
                    samples++;
                    var component = Component(frames);
                    components[component] = components.GetValueOrDefault(component) + 1;
                    frames.Clear();
                }

                continue;
            }

            frames.Add(line.Trim());
        }

        await perf.WaitForExitAsync();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{samples} CPU samples at {Frequency} Hz; µs per request = share × {cpuMicrosPerRequest:0} µs");
        text.AppendLine();
        foreach (var (component, count) in components.OrderByDescending(c => c.Value))
        {
            var share = (double)count / Math.Max(1, samples);
            text.AppendLine(CultureInfo.InvariantCulture, $"{100 * share,5:0.0} %  {share * cpuMicrosPerRequest,5:0} µs  {component}");
        }

        return text.ToString();
    }

    private static string Component(List<string> frames)
    {
        var top = frames[0];
        if (top.Contains("[kernel.kallsyms]", StringComparison.Ordinal))
        {
            return "kernel (socket reads and writes, scheduling)";
        }

        if (top.Contains("libclrjit.so", StringComparison.Ordinal))
        {
            return "JIT (tiered compilation still running)";
        }

        // The runtime's own frames (GC among them) have no symbols here: they fall to "other" unless a managed frame
        // of a component called them.
        return Components.Of(frames, "] ") ?? (frames.Any(f => f.Contains("System.Threading", StringComparison.Ordinal) || f.Contains("System.Runtime.CompilerServices", StringComparison.Ordinal))
            ? "thread pool and async plumbing"
            : "other (runtime, native libraries)");
    }
}
