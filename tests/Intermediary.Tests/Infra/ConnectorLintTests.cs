using System.Diagnostics;
using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infra;

/// <summary>The connector definition passes Spectral's OpenAPI rules (spectral:oas) without a single warning.</summary>
public sealed class ConnectorLintTests
{
    [Fact]
    public async Task Spectral_finds_nothing_in_the_connector_definition()
    {
        var root = SampleSettingsTests.RepositoryRoot();
        var spectral = Environment.GetEnvironmentVariable("SPECTRAL_PATH") ?? Path.Combine(root, "eng", "spectral", "node_modules", ".bin", "spectral");
        Assert.True(File.Exists(spectral), $"Spectral was not found at {spectral}. Run ./test.sh (it installs Spectral with npm into eng/spectral) or set SPECTRAL_PATH.");
        var start = new ProcessStartInfo(spectral) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "lint", Path.Combine(root, "infra", "connector", "apiDefinition.swagger.json"),
            "--ruleset", Path.Combine(root, "eng", "spectral", ".spectral.yaml"),
            "--fail-severity", "hint", "--format", "text",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, $"spectral exited {process.ExitCode}:\n{output}");
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
    }
}
