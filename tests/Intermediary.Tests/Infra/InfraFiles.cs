using System.Diagnostics;
using System.Text.RegularExpressions;
using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infra;

/// <summary>Paths under infra/ and the Bicep CLI the test command installed (eng/bicep).</summary>
internal static partial class InfraFiles
{
    public static string Root => Path.Combine(SampleSettingsTests.RepositoryRoot(), "infra");

    public static string ReadText(params string[] relative) => File.ReadAllText(Path.Combine([Root, .. relative]));

    public static IEnumerable<string> Find(string pattern) =>
        Directory.EnumerateFiles(Root, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public static string BicepPath()
    {
        var configured = Environment.GetEnvironmentVariable("BICEP_PATH");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        var project = File.ReadAllText(Path.Combine(SampleSettingsTests.RepositoryRoot(), "eng", "bicep", "Bicep.csproj"));
        var version = VersionPattern().Match(project).Groups[1].Value;
        var home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(home, "azure.bicep.commandline.linux-x64", version, "tools", "bicep");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"The Bicep CLI was not found at {path}. Run ./test.sh (it restores eng/bicep) or set BICEP_PATH.");
    }

    /// <summary>Runs the Bicep CLI; returns its exit code and everything it printed (diagnostics go to stderr).</summary>
    public static (int ExitCode, string Output, string Diagnostics) Bicep(params string[] arguments)
    {
        var start = new ProcessStartInfo(BicepPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var diagnostics = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, diagnostics.Result);
    }

    [GeneratedRegex("CommandLine\\.linux-x64\" Version=\"\\[([0-9.]+)\\]\"")]
    private static partial Regex VersionPattern();
}
