using System.Text;
using Intermediary.Jobs;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Jobs;

/// <summary>The Server host with the Azure Storage job store (real Azurite): start → queue → dispatcher → poll.</summary>
[Collection(AzuriteTests.Name)]
public sealed class AzureJobEndpointTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync();
        var storage = azurite.FreshStorage();
        _host = await IntermediaryHost.StartAsync(_simulator, new()
        {
            ["Intermediary:Jobs:Store"] = "AzureStorage",
            ["Intermediary:Jobs:Storage:ConnectionString"] = storage.ConnectionString,
            ["Intermediary:Jobs:Storage:TableName"] = storage.TableName,
            ["Intermediary:Jobs:Storage:QueueName"] = storage.QueueName,
            ["Intermediary:Jobs:Storage:ContainerName"] = storage.ContainerName,
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task A_job_runs_through_the_azure_queue_and_its_result_is_polled_from_table_storage()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""{"path":"/items"}"""));

        var done = await _host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal(202, started.StatusCode);
        Assert.Equal("succeeded", done.JobStatus);
        Assert.Equal(3, done.Data.GetArrayLength());
    }

    [Fact]
    public async Task A_result_too_large_for_a_table_entity_is_kept_in_blob_storage()
    {
        var text = new string('x', 100_000);
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo/echo", r => r.Content = Json($$"""{"text":"{{text}}"}"""));

        var done = await _host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal("succeeded", done.JobStatus);
        Assert.Contains(text, done.Data.GetProperty("body").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idempotency_holds_across_the_azure_store()
    {
        void Start(HttpRequestMessage r)
        {
            r.Headers.Add("Idempotency-Key", "azure-once");
            r.Content = Json("""{"path":"/items/1"}""");
        }

        var first = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Start);
        var second = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Start);
        await _host.WaitForJobAsync(first.StatusUrl);

        Assert.Equal(first.StatusUrl, second.StatusUrl);
        Assert.Equal(1, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task A_job_result_kept_in_table_storage_holds_none_of_our_credentials()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""{"path":"/echo"}"""));

        await _host.WaitForJobAsync(started.StatusUrl);
        var stored = await _host.Services.GetRequiredService<IJobStore>().GetAsync(started.Job.GetProperty("id").GetString()!, default);

        var token = _simulator.Requests.Last(r => r.PathAndQuery.StartsWith("/demo/echo", StringComparison.Ordinal)).Headers["Authorization"]["Bearer ".Length..];
        Assert.Contains("[redacted]", stored!.ResultJson, StringComparison.Ordinal);
        Assert.DoesNotContain(token, stored.ResultJson, StringComparison.Ordinal);
        Assert.DoesNotContain(_simulator.Options.SubscriptionKey, stored.ResultJson, StringComparison.Ordinal);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}
