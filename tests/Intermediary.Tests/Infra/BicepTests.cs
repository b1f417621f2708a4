using System.Text.Json;
using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infra;

/// <summary>The Bicep templates compile and lint clean, and configure every setting the core reads.</summary>
public sealed class BicepTests
{
    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in InfraFiles.Find("*.bicep"))
        {
            data.Add(Path.GetRelativePath(InfraFiles.Root, file));
        }

        return data;
    }

    public static TheoryData<string> ParameterFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in InfraFiles.Find("*.bicepparam"))
        {
            data.Add(Path.GetRelativePath(InfraFiles.Root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Builds_with_no_errors_or_warnings(string file)
    {
        var (exitCode, output, diagnostics) = InfraFiles.Bicep("build", Path.Combine(InfraFiles.Root, file), "--stdout");

        Assert.True(exitCode == 0, diagnostics);
        Assert.True(diagnostics.Trim().Length == 0, $"bicep build {file}: {diagnostics}");
        Assert.StartsWith("{", output.TrimStart(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Lints_clean(string file)
    {
        var (exitCode, output, diagnostics) = InfraFiles.Bicep("lint", Path.Combine(InfraFiles.Root, file));

        Assert.True(exitCode == 0 && (output + diagnostics).Trim().Length == 0, $"bicep lint {file}: {output}{diagnostics}");
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public void Every_parameter_file_deploys_the_upstream_the_connector_sends(string file)
    {
        using var connector = JsonDocument.Parse(InfraFiles.ReadText("connector", "apiDefinition.swagger.json"));
        var sent = connector.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject())
            .SelectMany(operation => operation.Value.TryGetProperty("parameters", out var parameters) ? parameters.EnumerateArray() : [])
            .Where(parameter => parameter.GetProperty("name").GetString() == "upstream" && parameter.TryGetProperty("default", out _))
            .Select(parameter => parameter.GetProperty("default").GetString())
            .Distinct()
            .ToList();
        var (exitCode, output, diagnostics) = InfraFiles.Bicep("build-params", Path.Combine(InfraFiles.Root, file), "--stdout");
        Assert.True(exitCode == 0, diagnostics);
        using var built = JsonDocument.Parse(output);
        using var parameters = JsonDocument.Parse(built.RootElement.GetProperty("parametersJson").GetString()!);
        using var template = JsonDocument.Parse(built.RootElement.GetProperty("templateJson").GetString()!);

        // One name in the connector, and the deployment takes it: no parameter file overrides it.
        var name = Assert.Single(sent);
        Assert.False(parameters.RootElement.GetProperty("parameters").TryGetProperty("upstreamName", out var overridden),
            $"{file} sets upstreamName to {overridden}; the name comes from the connector");
        // The compiled default is the connector's value, loaded at build time into a template variable.
        var defaultValue = template.RootElement.GetProperty("parameters").GetProperty("upstreamName").GetProperty("defaultValue").GetString()!;
        var variable = System.Text.RegularExpressions.Regex.Match(defaultValue, @"^\[variables\('(.+)'\)\]$").Groups[1].Value;
        Assert.Equal(name, template.RootElement.GetProperty("variables").GetProperty(variable).GetString());
    }

    [Theory]
    [MemberData(nameof(ParameterFiles))]
    public void Parameter_files_build_and_keep_secrets_out(string file)
    {
        var (exitCode, _, diagnostics) = InfraFiles.Bicep("build-params", Path.Combine(InfraFiles.Root, file), "--stdout");
        var text = InfraFiles.ReadText(file);

        Assert.True(exitCode == 0 && diagnostics.Trim().Length == 0, $"bicep build-params {file}: {diagnostics}");
        Assert.DoesNotMatch(@"param\s+\w*(Secret|SubscriptionKey|Password)\w*\s*=\s*'[^'<]", text);
    }

    private const string DevelopmentOnly = "Intermediary__DevelopmentTrustedCertificate";

    [Fact]
    public void The_template_sets_every_app_setting_the_core_reads()
    {
        var sources = string.Join('\n', InfraFiles.Find("*.bicep").Select(File.ReadAllText));
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(SampleSettingsTests.RepositoryRoot(), "local.settings.sample.json")));
        var keys = sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name)
            .Where(k => k.StartsWith("Intermediary__", StringComparison.Ordinal) && !k.StartsWith("Intermediary__FunctionKeys__", StringComparison.Ordinal))
            .Where(k => k != DevelopmentOnly)
            .Select(k => k.Replace("__Upstreams__orders__", "__Upstreams__${upstreamName}__", StringComparison.Ordinal))
            .ToList();

        var missing = keys.Where(k => !sources.Contains($"'{k}'", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(keys);
        Assert.True(missing.Count == 0, "The Bicep templates do not set: " + string.Join(", ", missing));
        // Refused outside the Development environment; a deployment never carries it.
        Assert.DoesNotContain(DevelopmentOnly, sources, StringComparison.Ordinal);
    }

    [Fact]
    public void The_function_app_is_dotnet_10_isolated_on_flex_consumption_with_the_worker_workaround()
    {
        var (_, compiled, _) = InfraFiles.Bicep("build", Path.Combine(InfraFiles.Root, "main.bicep"), "--stdout");

        Assert.Contains("FlexConsumption", compiled, StringComparison.Ordinal);
        Assert.Contains("dotnet-isolated", compiled, StringComparison.Ordinal);
        Assert.Contains("10.0", compiled, StringComparison.Ordinal);
        Assert.Contains("WEBSITE_USE_PLACEHOLDER_DOTNETISOLATED", compiled, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsDisableHomepage", compiled, StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", compiled, StringComparison.Ordinal);
    }

    [Fact]
    public void Outputs_hold_no_secrets()
    {
        var (_, compiled, _) = InfraFiles.Bicep("build", Path.Combine(InfraFiles.Root, "main.bicep"), "--stdout");
        using var template = JsonDocument.Parse(compiled);

        var outputs = template.RootElement.GetProperty("outputs").EnumerateObject().ToList();

        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.DoesNotMatch("(?i)secret|password|key$|connectionstring", o.Name));
        Assert.Contains(outputs, o => o.Name.Contains("Url", StringComparison.OrdinalIgnoreCase));
    }
}
