using System.Text;
using System.Text.RegularExpressions;
using Intermediary.Tests.Configuration;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Infra;

/// <summary>azd, CI, Dependabot and the .http tour point at things that exist and do what they say.</summary>
public sealed partial class RepositoryConventionsTests(ServerScenarioFixture fixture) : IClassFixture<ServerScenarioFixture>
{
    private static string Root => SampleSettingsTests.RepositoryRoot();

    [Fact]
    public void Azd_provisions_the_bicep_and_deploys_the_functions_project()
    {
        var azure = File.ReadAllText(Path.Combine(Root, "azure.yaml"));

        Assert.Contains("path: infra", azure, StringComparison.Ordinal);
        Assert.Contains("module: main", azure, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(Root, "infra", "main.bicep")));
        Assert.True(File.Exists(Path.Combine(Root, "infra", "main.bicepparam")));
        Assert.Matches(@"project: \./src/Intermediary\.Functions\s+language: dotnet\s+host: function", azure);
        // azd deploy finds the app by the service name tag.
        Assert.Contains("'azd-service-name': 'api'", File.ReadAllText(Path.Combine(Root, "infra", "modules", "functionapp.bicep")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_workflow_runs_the_ci_entry_point_with_ci_true_and_dependabot_watches_every_manifest()
    {
        var workflow = File.ReadAllText(Path.Combine(Root, ".github", "workflows", "ci.yml"));
        var dependabot = File.ReadAllText(Path.Combine(Root, ".github", "dependabot.yml"));

        Assert.Contains("CI: \"true\"", workflow, StringComparison.Ordinal);
        Assert.Contains("run: bash .ci/run", workflow, StringComparison.Ordinal);
        Assert.Contains("exec bash ./test.sh", File.ReadAllText(Path.Combine(Root, ".ci", "run")), StringComparison.Ordinal);
        foreach (Match directory in DependabotDirectory().Matches(dependabot))
        {
            Assert.True(Directory.Exists(Path.Combine(Root, directory.Groups[1].Value.TrimStart('/'))), directory.Value);
        }

        Assert.True(File.Exists(Path.Combine(Root, "eng", "azurite", "package.json")));
        Assert.True(File.Exists(Path.Combine(Root, "Directory.Packages.props")));
    }

    [Fact]
    public async Task Every_request_of_the_http_tour_reaches_an_endpoint()
    {
        var tour = File.ReadAllText(Path.Combine(Root, "Intermediary.http"));
        var requests = tour.Split("###", StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();

        Assert.True(requests.Count >= 10, $"{requests.Count} requests");
        foreach (var block in requests)
        {
            var lines = block.Split('\n').Skip(1).Select(l => l.TrimEnd('\r')).ToList();
            var requestLine = lines.First(l => l.Length > 0).Split(' ');
            var headers = lines.Skip(lines.FindIndex(l => l.Length > 0) + 1).TakeWhile(l => l.Length > 0).ToList();
            var body = string.Join('\n', lines.SkipWhile(l => l.Length == 0).SkipWhile(l => l.Length > 0).SkipWhile(l => l.Length == 0)).Trim();
            var path = requestLine[1].Replace("{{base}}", "api", StringComparison.Ordinal).Replace("key=http-tour", $"key={Guid.NewGuid():N}", StringComparison.Ordinal);

            var response = await fixture.Host.CallAsync(new HttpMethod(requestLine[0]), path, r =>
            {
                foreach (var (name, value) in headers.Select(h => h.Split(':', 2)).Select(p => (p[0].Trim(), p[1].Trim())))
                {
                    r.Headers.TryAddWithoutValidation(name, value.Replace("{{key}}", fixture.Host.FunctionKey, StringComparison.Ordinal));
                }

                if (body.Length > 0)
                {
                    r.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }
            }, withKey: false);

            // An envelope from an endpoint, not the fallback's "no endpoint matches".
            Assert.False(response.Code == "NotFound" && response.Source == "intermediary", $"{requestLine[0]} {path}: {response}");
            Assert.False(response.Code is "MethodNotAllowed" or "InvalidRequest" or "PathNotAllowed", $"{requestLine[0]} {path}: {response}");
        }
    }

    [GeneratedRegex(@"directory: (\S+)")]
    private static partial Regex DependabotDirectory();
}
