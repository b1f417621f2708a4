using System.Text.Json;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Hosts;

/// <summary>
/// The <c>local.settings.json</c> the simulator writes for <c>func start</c>: merged into a maker's file, and
/// proven by running the real Functions host with exactly the values written.
/// </summary>
public sealed class FunctionsLocalSettingsTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("intermediary-local-settings-").FullName;
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync(new SimulatorOptions());

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void Writing_keeps_the_makers_own_settings_and_sets_the_port_beside_the_demo()
    {
        var path = Path.Combine(_folder, "local.settings.json");
        File.WriteAllText(path, """
            {"IsEncrypted": false, "Values": {"Intermediary__Upstreams__orders__BaseUrl": "https://contoso.example/orders/", "Intermediary__Jobs__Store": "Memory", "Count": 3},
             "Host": {"CORS": "*"}}
            """);

        FunctionsLocalSettings.Write(_simulator, path);

        using var written = JsonDocument.Parse(File.ReadAllText(path));
        var values = written.RootElement.GetProperty("Values");
        Assert.Equal("https://contoso.example/orders/", values.GetProperty("Intermediary__Upstreams__orders__BaseUrl").GetString());
        Assert.Equal("AzureStorage", values.GetProperty("Intermediary__Jobs__Store").GetString());
        Assert.Equal(3, values.GetProperty("Count").GetInt32());
        Assert.Equal(_simulator.ApiBaseAddress.AbsoluteUri, values.GetProperty("Intermediary__Upstreams__demo__BaseUrl").GetString());
        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty("AzureWebJobsStorage").GetString());
        Assert.Equal("intermediary-jobs", values.GetProperty("Intermediary__Jobs__Storage__QueueName").GetString());
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", values.GetProperty("Intermediary__DevelopmentTrustedCertificate").GetString(), StringComparison.Ordinal);
        Assert.Equal(7072, written.RootElement.GetProperty("Host").GetProperty("LocalHttpPort").GetInt32());
        Assert.Equal("*", written.RootElement.GetProperty("Host").GetProperty("CORS").GetString());
    }

    [Fact]
    [Trait("Category", "FunctionsHost")]
    public async Task The_written_settings_run_the_app_under_the_real_host_calls_and_queue_jobs_included()
    {
        var azurite = await AzuriteProcess.StartAsync(persistIn: null);
        try
        {
            var path = Path.Combine(_folder, "local.settings.json");
            FunctionsLocalSettings.Write(_simulator, path, azurite.ConnectionString);
            using var written = JsonDocument.Parse(File.ReadAllText(path));
            var values = written.RootElement.GetProperty("Values").EnumerateObject()
                .ToDictionary(p => p.Name, p => (string?)p.Value.GetString());

            await using var host = await FunctionsHost.StartAsync(_simulator, values);
            var call = await host.CallAsync(HttpMethod.Get, "api/call/demo/items");
            var started = await host.CallAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=1", r => r.Headers.Add("X-Job-Method", "GET"));
            var done = await host.WaitForJobAsync(started.StatusUrl);

            Assert.True(call.Ok, call.ToString());
            Assert.Equal("succeeded", done.JobStatus);
            // The host logs the function's end after the job's outcome is stored, so it may come a moment later.
            await Eventually.True(() => host.Output.Contains("Executed 'Functions.RunJob' (Succeeded", StringComparison.Ordinal), "the host ran RunJob");
        }
        finally
        {
            azurite.Stop();
        }
    }
}
