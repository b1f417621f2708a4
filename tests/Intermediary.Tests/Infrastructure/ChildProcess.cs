using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// A process a test starts, configured by arguments and environment variables, whose output is kept (the last
/// 2,000 lines) for failure messages; stopped as a service manager would (SIGTERM) or as a crash would (SIGKILL).
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private const int KeptLines = 2000;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>What the process wrote (stdout and stderr interleaved as received).</summary>
    public string Output => string.Join('\n', _output);

    /// <param name="settings">Configuration keys in <c>Section:Key</c> form; they become <c>Section__Key</c> environment variables.</param>
    /// <param name="workingDirectory">Where it starts; the test's own folder when null.</param>
    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, IEnumerable<KeyValuePair<string, string?>> settings, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var child = new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start."));
        child._process.OutputDataReceived += (_, e) => child.Keep(e.Data);
        child._process.ErrorDataReceived += (_, e) => child.Keep(e.Data);
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the exit and until everything the process wrote has been read into <see cref="Output"/>.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>Sends SIGTERM and waits for the exit; kills the process tree if it has not ended within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        Signal(_process.Id, "TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    /// <summary>SIGKILL to the process and its children: nothing of theirs runs after this, as on a crash.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    /// <summary>Direct children of this process whose command line contains <paramref name="marker"/> (Linux /proc).</summary>
    public IReadOnlyList<int> ChildrenRunning(string marker)
    {
        var found = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{_process.Id}/task"))
        {
            var children = File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            foreach (var child in children.Select(c => int.Parse(c, CultureInfo.InvariantCulture)))
            {
                var commandLine = File.Exists($"/proc/{child}/cmdline") ? File.ReadAllText($"/proc/{child}/cmdline") : "";
                if (commandLine.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(child);
                }
            }
        }

        return found;
    }

    public static void Signal(int processId, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", processId.ToString(CultureInfo.InvariantCulture)]);
        kill!.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            while (_output.Count > KeptLines)
            {
                _output.TryDequeue(out _);
            }
        }
    }
}
