using System.Text.Json;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Hosts;

/// <summary>The on-behalf-of lines of the <c>--demo</c> tour, run exactly as printed (bash, curl, sed), against the server they came from.</summary>
public sealed class DemoTourTests
{
    private const string AliceId = "a11ce000-0000-4000-8000-00000000a11c";

    [Fact]
    public async Task The_printed_commands_get_alices_token_and_reach_the_backend_as_alice()
    {
        var port = AzuriteProcess.FreePort();
        using var server = ChildProcess.Start("dotnet", [ServerProcess.ServerAssembly(), "--demo", "--urls", $"http://127.0.0.1:{port}"], []);
        await Eventually.True(() => server.Output.Contains("/api/jobs/demo-user/", StringComparison.Ordinal) || server.HasExited, "the demo printed its tour");
        Assert.False(server.HasExited, server.Output);

        var lines = server.Output.Split('\n').Select(line => line.Trim()).ToList();
        var getToken = lines.Single(line => line.StartsWith("TOKEN=", StringComparison.Ordinal));
        var whoAmI = lines.Single(line => line.StartsWith("curl", StringComparison.Ordinal) && line.Contains("/api/call/demo-user/whoami", StringComparison.Ordinal));
        var withoutToken = whoAmI.Replace("-H \"Authorization: Bearer $TOKEN\" ", "", StringComparison.Ordinal);

        var asAlice = await BashAsync($"{getToken}\n{whoAmI}");
        var anonymous = await BashAsync(withoutToken);

        using var alice = JsonDocument.Parse(asAlice);
        Assert.True(alice.RootElement.GetProperty("ok").GetBoolean(), asAlice);
        Assert.Equal(("user", AliceId), (alice.RootElement.GetProperty("data").GetProperty("kind").GetString(), alice.RootElement.GetProperty("data").GetProperty("objectId").GetString()));
        using var nobody = JsonDocument.Parse(anonymous);
        Assert.Equal("Unauthenticated", nobody.RootElement.GetProperty("code").GetString());
    }

    private static async Task<string> BashAsync(string script)
    {
        using var bash = ChildProcess.Start("bash", ["-euo", "pipefail", "-c", script], []);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await bash.WaitForExitAsync(timeout.Token);
        Assert.True(bash.ExitCode == 0, bash.Output);
        return bash.Output;
    }
}
