using System.Net;
using System.Net.Sockets;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Hosts;

/// <summary>The run command's first-contact failures: one line that says what to do, a non-zero exit, no stack trace.</summary>
public sealed class ServerStartupTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task A_busy_port_is_one_line_naming_it_and_the_way_out(string host)
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        using var server = ChildProcess.Start("dotnet", [ServerProcess.ServerAssembly(), "--demo", "--urls", $"http://{host}:{port}"], []);
        // Its exit and everything it wrote: the output may still be arriving when the exit is first seen.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await server.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, server.ExitCode);
        var output = server.Output.Trim();
        Assert.Equal($"Cannot listen on http://{host}:{port}: the port is in use by another process. Stop it, or choose another port, e.g. --urls http://127.0.0.1:7072", output);
    }

    [Fact]
    public async Task The_simulators_busy_port_names_the_options_that_choose_others()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        using var simulator = ChildProcess.Start("dotnet", [ServerProcess.BuiltAssembly("Intermediary.Simulator"), "--http-port", $"{port}", "--https-port", "0"], []);
        // Its exit and everything it wrote: the output may still be arriving when the exit is first seen.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await simulator.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, simulator.ExitCode);
        var output = simulator.Output.Trim();
        Assert.DoesNotContain('\n', output);
        Assert.Contains($"{port}", output, StringComparison.Ordinal);
        Assert.Contains("--http-port N --https-port N (0 = any free port)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_ports_setting_of_container_images_is_honoured_on_every_interface()
    {
        var port = AzuriteProcess.FreePort();
        Dictionary<string, string?> settings = new()
        {
            ["ASPNETCORE_HTTP_PORTS"] = $"{port}",
            ["Intermediary:FunctionKeys:k"] = "container-key-0123456789",
            ["Intermediary:Upstreams:u:BaseUrl"] = "https://example.invalid/",
            ["Intermediary:Upstreams:u:AllowedPaths:0"] = "/",
            ["Intermediary:Upstreams:u:Credential"] = "None",
        };
        using var server = ChildProcess.Start("dotnet", [ServerProcess.ServerAssembly()], settings);
        using var client = new HttpClient();

        await Eventually.True(() => server.Output.Contains("Now listening on", StringComparison.Ordinal) || server.HasExited, "the server started");

        Assert.False(server.HasExited, server.Output);
        Assert.Contains($"Now listening on: http://[::]:{port}", server.Output, StringComparison.Ordinal);
        var response = await client.GetStringAsync($"http://127.0.0.1:{port}/api/nothing");
        Assert.Contains("\"NotFound\"", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Its_own_settings_apply_whatever_folder_it_is_started_from()
    {
        // Started from a folder without appsettings.json, as `dotnet /app/Intermediary.Server.dll` from anywhere.
        var elsewhere = Directory.CreateTempSubdirectory("intermediary-cwd-").FullName;
        var port = AzuriteProcess.FreePort();
        Dictionary<string, string?> settings = new()
        {
            ["Intermediary:FunctionKeys:k"] = "content-root-key-0123456789",
            ["Intermediary:Upstreams:u:BaseUrl"] = "https://example.invalid/",
            ["Intermediary:Upstreams:u:AllowedPaths:0"] = "/",
            ["Intermediary:Upstreams:u:Credential"] = "None",
        };
        using var server = ChildProcess.Start("dotnet", [ServerProcess.ServerAssembly(), "--urls", $"http://127.0.0.1:{port}"], settings, elsewhere);
        using var client = new HttpClient();
        await Eventually.True(() => server.Output.Contains("Now listening on", StringComparison.Ordinal) || server.HasExited, "the server started");
        Directory.Delete(elsewhere);

        var live = await client.GetStringAsync($"http://127.0.0.1:{port}/api/health/live");
        Assert.Contains("\"ok\":true", live, StringComparison.Ordinal);
        await server.StopAsync(TimeSpan.FromSeconds(10));

        // appsettings.json keeps ASP.NET Core's per-request Information lines (Request starting/finished) out of the log.
        Assert.Contains("Now listening on", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Request starting", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Request finished", server.Output, StringComparison.Ordinal);
    }
}
