using Intermediary.Configuration;
using Intermediary.Jobs;
using Intermediary.Server;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Jobs;

/// <summary>
/// Jobs through the queue trigger under a real Functions host: <c>Jobs:Store = AzureStorage</c> on Azurite, the
/// host's <c>AzureWebJobsStorage</c> on the same account, so every job runs in the <c>RunJob</c> function (the
/// worker has no in-process dispatcher in this mode), and the <c>JobMaintenance</c> timer recovers lost work.
/// </summary>
[Trait("Category", "FunctionsHost")]
public sealed class FunctionsQueueJobTests(QueueJobsFixture fixture) : IClassFixture<QueueJobsFixture>
{
    private FunctionsHost Host => fixture.Host;

    private ApimSimulator Simulator => fixture.Simulator;

    private static string Marker() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_job_runs_in_the_queue_triggered_function_and_the_same_key_starts_it_once()
    {
        var marker = Marker();
        void Keyed(HttpRequestMessage r) => r.Headers.Add("Idempotency-Key", marker);

        var started = await Host.CallAsync(HttpMethod.Post, $"api/jobs/demo/echo?m={marker}", Keyed);
        var again = await Host.CallAsync(HttpMethod.Post, $"api/jobs/demo/echo?m={marker}", Keyed);
        var done = await Host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal(202, started.StatusCode);
        Assert.Equal(started.StatusUrl, again.StatusUrl);
        Assert.Equal(("succeeded", 200), (done.JobStatus, done.StatusCode));
        Assert.Equal(1, Simulator.Requests.Count(r => r.PathAndQuery.Contains(marker, StringComparison.Ordinal)));
        // The host logs the function's end after the job's outcome is stored, so it may come a moment later.
        await Eventually.True(() => Host.Output.Contains("Executed 'Functions.RunJob' (Succeeded", StringComparison.Ordinal), "the host ran RunJob");
    }

    [Fact]
    public async Task A_running_job_is_canceled_across_processes()
    {
        var marker = Marker();
        var started = await Host.CallAsync(HttpMethod.Post, $"api/jobs/demo/jobs/slow?seconds=600&m={marker}", r => r.Headers.Add("X-Job-Method", "GET"));
        await Eventually.True(() => InFlight(marker), "the job is running");

        var cancel = await Host.CallAsync(HttpMethod.Delete, started.StatusUrl + "?errorMode=status");
        var done = await Host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal(202, cancel.StatusCode);
        Assert.Equal(("canceled", "JobCanceled"), (done.JobStatus, done.Code));
        await Eventually.True(() => Simulator.InFlightApiRequests == 0, "the upstream call was aborted");
    }

    [Fact]
    public async Task A_job_whose_worker_is_killed_is_run_again_and_completes()
    {
        var marker = Marker();
        var started = await Host.CallAsync(HttpMethod.Post, $"api/jobs/demo/jobs/slow?seconds=3&m={marker}", r => r.Headers.Add("X-Job-Method", "GET"));
        await Eventually.True(() => InFlight(marker), "the job is running");

        Host.KillWorker();
        var done = await Host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal(("succeeded", 200), (done.JobStatus, done.StatusCode));
        Assert.Equal(3, done.Data.GetProperty("waitedSeconds").GetInt32());
        Assert.Equal(2, Simulator.Requests.Count(r => r.PathAndQuery.Contains(marker, StringComparison.Ordinal)));
        // While the host restarts its worker it answers by itself, without an envelope (README, Hosts).
        Assert.All(Host.HostAnswersWithoutWorker, status => Assert.InRange(status, 500, 503));
    }

    [Fact]
    public async Task A_job_that_never_finishes_is_failed_after_MaxDeliveries_runs_and_not_run_again()
    {
        var marker = Marker();
        var started = await Host.CallAsync(HttpMethod.Post, $"api/jobs/demo/jobs/slow?seconds=600&m={marker}", r => r.Headers.Add("X-Job-Method", "GET"));
        for (var run = 1; run <= QueueJobsFixture.MaxDeliveries; run++)
        {
            await Eventually.True(() => Runs(marker) == run && InFlight(marker), $"run {run} of the job is in flight");
            Host.KillWorker();
        }

        var done = await Host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal("failed", done.JobStatus);
        Assert.Contains($"started {QueueJobsFixture.MaxDeliveries} times without finishing", done.Message, StringComparison.Ordinal);
        Assert.Equal(QueueJobsFixture.MaxDeliveries, Runs(marker));
    }

    [Fact]
    public async Task A_job_whose_message_was_lost_is_dispatched_again_by_the_maintenance_timer()
    {
        // A job as the start endpoint stores it, but its queue message never sent (as after a crash between the two).
        var marker = Marker();
        var old = DateTimeOffset.UtcNow.AddMinutes(-1);
        var job = new JobRecord
        {
            Id = Marker(),
            Upstream = "demo",
            Request = new JobRequest("GET", "/echo", $"?m={marker}", [], null),
            CorrelationId = marker,
            CreatedAt = old,
            UpdatedAt = old,
            ExpiresAt = old.AddDays(1),
        };
        await fixture.Store.CreateAsync(job, CancellationToken.None);

        // The timer fires at every minute's start; allow two.
        var done = await Host.WaitForJobAsync($"{Host.BaseAddress}api/jobs/{job.Id}", TimeSpan.FromSeconds(150));

        Assert.Equal("succeeded", done.JobStatus);
        Assert.Equal(1, Runs(marker));
        // The host logs the function's end after the job's outcome is stored, so it may come a moment later.
        await Eventually.True(() => Host.Output.Contains("Executed 'Functions.JobMaintenance' (Succeeded", StringComparison.Ordinal), "the host ran JobMaintenance");
    }

    private int Runs(string marker) => Simulator.Requests.Count(r => r.PathAndQuery.Contains(marker, StringComparison.Ordinal));

    private bool InFlight(string marker) => Simulator.InFlightApiRequests > 0 && Runs(marker) > 0;
}

/// <summary>Azurite, a simulator and the Functions app under a host, with jobs in Azure Storage and fast redelivery.</summary>
public sealed class QueueJobsFixture : IAsyncLifetime
{
    public const int MaxDeliveries = 2;
    private AzuriteProcess? _azurite;

    public ApimSimulator Simulator { get; private set; } = null!;

    public FunctionsHost Host { get; private set; } = null!;

    internal IJobStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _azurite = await AzuriteProcess.StartAsync(persistIn: null);
        Simulator = await ApimSimulator.StartAsync(new SimulatorOptions());
        var storage = _azurite.FreshStorage();
        Store = new AzureJobStore(new AzureStorageClients(storage));

        var settings = SimulatorUpstream.Settings(Simulator, "demo", "/echo", "/jobs");
        settings["AzureWebJobsStorage"] = _azurite.ConnectionString;
        settings["Intermediary:Jobs:Store"] = nameof(JobStoreKind.AzureStorage);
        settings["Intermediary:Jobs:Storage:ConnectionString"] = _azurite.ConnectionString;
        settings["Intermediary:Jobs:Storage:TableName"] = storage.TableName;
        settings["Intermediary:Jobs:Storage:QueueName"] = storage.QueueName;
        settings["Intermediary:Jobs:Storage:ContainerName"] = storage.ContainerName;
        settings["Intermediary:Jobs:LeaseDuration"] = "00:00:05";
        settings["Intermediary:Jobs:MaxDeliveries"] = $"{MaxDeliveries}";
        settings["Intermediary:Jobs:PollInterval"] = "00:00:01";
        // host.json, overridden as app settings can: a failed delivery is visible again once the lease has run
        // out, and the runtime's own poison limit stays one above the runner's (as in host.json).
        settings["AzureFunctionsJobHost:extensions:queues:visibilityTimeout"] = "00:00:06";
        settings["AzureFunctionsJobHost:extensions:queues:maxPollingInterval"] = "00:00:00.500";
        settings["AzureFunctionsJobHost:extensions:queues:maxDequeueCount"] = $"{MaxDeliveries + 1}";
        Host = await FunctionsHost.StartAsync(Simulator, settings);
        Host.RestartLikeThePlatform();
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Simulator.DisposeAsync();
        _azurite?.Stop();
    }
}
