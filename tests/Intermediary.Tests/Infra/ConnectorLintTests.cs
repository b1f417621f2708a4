namespace Intermediary.Tests.Infra;

/// <summary>The connector definition passes Spectral's OpenAPI rules (spectral:oas) without a single warning.</summary>
public sealed class ConnectorLintTests
{
    [Fact]
    public async Task Spectral_finds_nothing_in_the_connector_definition()
    {
        var (exitCode, output) = await ConnectorRules.SpectralAsync(Path.Combine(Configuration.SampleSettingsTests.RepositoryRoot(), "infra", "connector", "apiDefinition.swagger.json"));

        Assert.True(exitCode == 0, $"spectral exited {exitCode}:\n{output}");
        Assert.DoesNotContain("warning", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
    }
}
