using System.Diagnostics;
using System.Text.Json;
using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infra;

/// <summary>Our own wording rules for a connector definition, and Spectral's OpenAPI rules: for the shipped and generated connectors alike.</summary>
internal static class ConnectorRules
{
    /// <summary>
    /// Title Case summaries (units in parentheses keep their case) of at most 80 characters, descriptions starting
    /// with a capital, no "API" outside "API Management". One line per finding.
    /// </summary>
    public static List<string> Problems(JsonElement root)
    {
        var minor = new HashSet<string>(StringComparer.Ordinal) { "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "by", "with", "as", "at" };
        var found = new List<string>();
        void Walk(JsonElement node, string path)
        {
            if (node.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in node.EnumerateObject())
                {
                    var here = $"{path}/{property.Name}";
                    if (property.Value.ValueKind == JsonValueKind.String && property.Value.GetString() is { Length: > 0 } text)
                    {
                        if (property.Name == "x-ms-summary" && text.Split(' ').Select((w, i) => (w, i)).Any(x => !x.w.StartsWith('(') && char.IsLower(x.w[0]) && (x.i == 0 || !minor.Contains(x.w))))
                        {
                            found.Add($"{here}: '{text}' is not Title Case");
                        }

                        if (property.Name is "x-ms-summary" or "summary" && text.Length > 80)
                        {
                            found.Add($"{here}: longer than 80 characters");
                        }

                        if (property.Name == "description" && !char.IsUpper(text[0]))
                        {
                            found.Add($"{here}: does not start with a capital");
                        }

                        // Certification asks for plain words: "API" only inside the product name API Management.
                        if (property.Name is "description" or "summary" or "x-ms-summary"
                            && System.Text.RegularExpressions.Regex.IsMatch(text, @"\bAPIs?\b(?! Management)"))
                        {
                            found.Add($"{here}: says 'API'");
                        }
                    }

                    Walk(property.Value, here);
                }
            }
            else if (node.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in node.EnumerateArray())
                {
                    Walk(item, $"{path}[{i++}]");
                }
            }
        }
        Walk(root, "");
        return found;
    }

    /// <summary>Runs Spectral (spectral:oas plus our ruleset) on a file; exit code and everything it printed.</summary>
    public static async Task<(int ExitCode, string Output)> SpectralAsync(string file)
    {
        var root = SampleSettingsTests.RepositoryRoot();
        var spectral = Environment.GetEnvironmentVariable("SPECTRAL_PATH") ?? Path.Combine(root, "eng", "spectral", "node_modules", ".bin", "spectral");
        Assert.True(File.Exists(spectral), $"Spectral was not found at {spectral}. Run ./test.sh (it installs Spectral with npm into eng/spectral) or set SPECTRAL_PATH.");
        var start = new ProcessStartInfo(spectral) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "lint", file, "--ruleset", Path.Combine(root, "eng", "spectral", ".spectral.yaml"), "--fail-severity", "hint", "--format", "text",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, output);
    }
}
