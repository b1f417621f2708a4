using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Intermediary.Bench;

/// <summary>What the process-level benchmarks share: starting a measured process, its CPU time, free ports, medians.</summary>
internal static class BenchProcesses
{
    /// <summary>The repository root (the folder with Intermediary.sln), found from the bench's own output folder.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>A Release build output of one of the repository's projects.</summary>
    public static string ReleaseDll(string projectFolder, string name) =>
        Path.Combine(RepositoryRoot, projectFolder, name, "bin", "Release", "net10.0", name + ".dll");

    /// <summary>Starts a process with settings as environment variables (<c>:</c> becomes <c>__</c>); its output is read and dropped.</summary>
    public static Process Start(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> settings)
    {
        var start = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>User + system CPU ticks (1/100 s, USER_HZ) of a process and all its descendants that are still running.</summary>
    public static long CpuTicks(int processId)
    {
        var fields = File.ReadAllText($"/proc/{processId}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var own = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        var children = Directory.EnumerateDirectories($"/proc/{processId}/task")
            .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(child => int.Parse(child, CultureInfo.InvariantCulture))
            .Sum(CpuTicks);
        return own + children;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static double Median<T>(IEnumerable<T> items, Func<T, double> value)
    {
        var sorted = items.Select(value).Order().ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    public static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Intermediary.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("Run the benchmark from the repository's bench/ build output.");
    }
}
