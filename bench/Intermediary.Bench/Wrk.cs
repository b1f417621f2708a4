using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Intermediary.Bench;

/// <summary>One run of the wrk load generator, and what it reported.</summary>
internal sealed record WrkResult(long Requests, double Seconds, double RequestsPerSecond, double P50Ms, double P99Ms, long Non2xx, long SocketErrors)
{
    /// <summary>Runs wrk against <paramref name="url"/>; <paramref name="script"/> is an optional Lua file (think time, method).</summary>
    public static async Task<WrkResult> RunAsync(string url, int connections, TimeSpan duration, IReadOnlyDictionary<string, string> headers, string? script = null)
    {
        var start = new ProcessStartInfo("wrk") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "--latency", "-t", "2", "-c", connections.ToString(CultureInfo.InvariantCulture), "-d", $"{(int)duration.TotalSeconds}s", "--timeout", "10s" })
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in headers)
        {
            start.ArgumentList.Add("-H");
            start.ArgumentList.Add($"{name}: {value}");
        }

        if (script is not null)
        {
            start.ArgumentList.Add("-s");
            start.ArgumentList.Add(script);
        }

        start.ArgumentList.Add(url);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("wrk could not be started.");
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {error}{output}");
        }

        return Parse(output);
    }

    public static WrkResult Parse(string output)
    {
        var total = Regex.Match(output, @"(\d+) requests in ([\d.]+)(us|ms|s|m)");
        if (!total.Success)
        {
            throw new FormatException($"Unexpected wrk output:\n{output}");
        }

        var requests = long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture);
        var seconds = Milliseconds(total.Groups[2].Value, total.Groups[3].Value) / 1000;
        var errors = Regex.Match(output, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        var socketErrors = errors.Success ? Enumerable.Range(1, 4).Sum(i => long.Parse(errors.Groups[i].Value, CultureInfo.InvariantCulture)) : 0;
        var non2xx = Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)");
        return new WrkResult(
            requests,
            seconds,
            requests / seconds,
            Percentile(output, "50%"),
            Percentile(output, "99%"),
            non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            socketErrors);
    }

    private static double Percentile(string output, string label)
    {
        var match = Regex.Match(output, $@"^\s+{Regex.Escape(label)}\s+([\d.]+)(us|ms|s|m)\s*$", RegexOptions.Multiline);
        return match.Success ? Milliseconds(match.Groups[1].Value, match.Groups[2].Value) : throw new FormatException($"No {label} latency in wrk output:\n{output}");
    }

    private static double Milliseconds(string value, string unit) =>
        double.Parse(value, CultureInfo.InvariantCulture) * unit switch
        {
            "us" => 0.001,
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            _ => throw new FormatException($"Unknown wrk unit {unit}."),
        };
}
