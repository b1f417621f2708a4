using Intermediary.Configuration;
using Intermediary.Endpoints;
using Intermediary.Envelopes;
using Intermediary.Jobs;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Jobs;

/// <summary>
/// At-least-once delivery made exactly-once in effect, worker death and poison — against each store, with the
/// runner calling the simulator for real.
/// </summary>
public abstract class JobRunnerContract : IAsyncLifetime
{
    private readonly List<ServiceProvider> _providers = [];

    private protected TestClock Clock { get; } = new();

    private protected ApimSimulator Simulator { get; private set; } = null!;

    public async Task InitializeAsync() => Simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = Clock });

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await Simulator.DisposeAsync();
    }

    /// <summary>Store settings for one worker process; every call of one test must share the same store.</summary>
    private protected abstract Dictionary<string, string?> StoreSettings { get; }

    [Fact]
    public async Task A_redelivered_message_for_a_finished_job_does_not_call_the_upstream_again()
    {
        var worker = Worker();
        var job = await CreateAsync(worker, "/items/1");

        var first = await worker.Runner.RunAsync(job.Id, 1, default);
        var afterFirst = await worker.Store.GetAsync(job.Id, default);
        var second = await worker.Runner.RunAsync(job.Id, 2, default);
        var afterSecond = await worker.Store.GetAsync(job.Id, default);

        Assert.True(first.Completed);
        Assert.True(second.Completed);
        Assert.Equal(JobStatus.Succeeded, afterSecond!.Status);
        Assert.Equal(afterFirst!.ETag, afterSecond.ETag);
        Assert.Equal(1, Simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task Duplicate_deliveries_at_once_run_the_job_once()
    {
        var worker = Worker();
        var job = await CreateAsync(worker, "/jobs/slow?seconds=10");

        var first = worker.Runner.RunAsync(job.Id, 1, default);
        await Eventually.True(() => Simulator.InFlightApiRequests == 1, "the job is running");
        var duplicate = await worker.Runner.RunAsync(job.Id, 1, default);
        Clock.Advance(TimeSpan.FromSeconds(10));
        var completed = await first;

        Assert.False(duplicate.Completed, "the duplicate waits for the running delivery's lease");
        Assert.True(completed.Completed);
        Assert.Equal(1, Simulator.CountApiRequests("/jobs/slow"));
    }

    [Fact]
    public async Task A_job_whose_worker_died_is_taken_over_after_its_lease_expires()
    {
        var worker = Worker();
        var job = await CreateAsync(worker, "/items/2");
        var now = Clock.GetUtcNow();
        var abandoned = await worker.Store.TryReplaceAsync(job with
        {
            Status = JobStatus.Running,
            LeaseOwner = "worker-that-was-killed",
            LeaseExpiresAt = now.AddMinutes(1),
            RunCount = 1,
            UpdatedAt = now,
        }, default);
        Assert.NotNull(abandoned);

        var whileLeased = await worker.Runner.RunAsync(job.Id, 2, default);
        Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var recovered = await worker.Maintenance.RecoverAsync(default);
        var message = await ReceiveAsync(worker.Queue);
        var takeover = await worker.Runner.RunAsync(message.JobId, message.DeliveryCount, default);
        var finished = await worker.Store.GetAsync(job.Id, default);

        Assert.False(whileLeased.Completed);
        Assert.InRange(whileLeased.RetryAfter, TimeSpan.FromSeconds(59), TimeSpan.FromMinutes(1));
        Assert.Equal(1, recovered);
        Assert.Equal(job.Id, message.JobId);
        Assert.True(takeover.Completed);
        Assert.Equal(JobStatus.Succeeded, finished!.Status);
        Assert.Equal(2, finished.RunCount);
        Assert.Equal(1, Simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task A_message_delivered_too_often_fails_the_job_with_a_clear_message()
    {
        var worker = Worker();
        var job = await CreateAsync(worker, "/items/1");

        var result = await worker.Runner.RunAsync(job.Id, 6, default);
        var failed = await worker.Store.GetAsync(job.Id, default);
        var envelope = System.Text.Json.JsonSerializer.Deserialize(failed!.ResultJson!, EnvelopeJsonContext.Default.Envelope)!;

        Assert.True(result.Completed);
        Assert.Equal(JobStatus.Failed, failed.Status);
        Assert.Equal(EnvelopeCode.JobFailed, envelope.Code);
        Assert.Contains("will not be tried again", envelope.Message, StringComparison.Ordinal);
        Assert.Equal(0, Simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task A_job_that_killed_its_worker_every_time_becomes_poison()
    {
        var worker = Worker();
        var job = await CreateAsync(worker, "/items/1");
        var now = Clock.GetUtcNow();
        await worker.Store.TryReplaceAsync(job with { Status = JobStatus.Running, LeaseOwner = "dead", LeaseExpiresAt = now.AddSeconds(-1), RunCount = 5 }, default);

        var result = await worker.Runner.RunAsync(job.Id, 1, default);

        Assert.True(result.Completed);
        Assert.Equal(JobStatus.Failed, (await worker.Store.GetAsync(job.Id, default))!.Status);
        Assert.Equal(0, Simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task A_terminal_job_never_moves_backwards()
    {
        var worker = Worker();
        var job = await CreateAsync(worker, "/items/1");
        var canceled = await worker.Store.TryReplaceAsync(job with { Status = JobStatus.Canceled, CancelRequested = true }, default);

        var result = await worker.Runner.RunAsync(job.Id, 1, default);

        Assert.True(result.Completed);
        var after = await worker.Store.GetAsync(job.Id, default);
        Assert.Equal(JobStatus.Canceled, after!.Status);
        Assert.Equal(canceled!.ETag, after.ETag);
        Assert.Equal(0, Simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Messages_that_are_not_job_ids_are_dropped()
    {
        var result = await Worker().Runner.RunAsync("<script>", 1, default);

        Assert.True(result.Completed);
    }

    private protected TestWorker Worker()
    {
        var settings = IntermediaryHost.UpstreamSettings(Simulator);
        settings["Intermediary:Upstreams:demo:AllowedPaths:3"] = "/jobs";
        foreach (var (key, value) in StoreSettings)
        {
            settings[key] = value;
        }

        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(Clock);
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(Simulator.CreateTrustingHandler);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return new TestWorker(provider);
    }

    private protected async Task<JobRecord> CreateAsync(TestWorker worker, string pathAndQuery)
    {
        var now = Clock.GetUtcNow();
        var split = pathAndQuery.Split('?', 2);
        var job = new JobRecord
        {
            Id = JobRecord.NewId(),
            Upstream = "demo",
            Request = new JobRequest("GET", split[0], split.Length > 1 ? "?" + split[1] : null, [], null),
            CorrelationId = "runner-test",
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now.AddHours(1),
        };
        return (await worker.Store.CreateAsync(job, default)).Job;
    }

    private static async Task<JobMessage> ReceiveAsync(IJobQueue queue)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await queue.ReceiveAsync(timeout.Token) ?? throw new TimeoutException("no message");
    }

    private protected sealed class TestWorker(IServiceProvider services)
    {
        public JobRunner Runner { get; } = services.GetRequiredService<JobRunner>();
        public IJobStore Store { get; } = services.GetRequiredService<IJobStore>();
        public IJobQueue Queue { get; } = services.GetRequiredService<IJobQueue>();

        public JobMaintenance Maintenance { get; } = services.GetRequiredService<JobMaintenance>();
    }
}

public sealed class InMemoryJobRunnerTests : JobRunnerContract
{
    private protected override Dictionary<string, string?> StoreSettings => [];
}

[Collection(AzuriteTests.Name)]
public sealed class AzureJobRunnerTests(AzuriteFixture azurite) : JobRunnerContract
{
    private readonly JobStorageOptions _storage = azurite.FreshStorage();

    private protected override Dictionary<string, string?> StoreSettings => new()
    {
        ["Intermediary:Jobs:Store"] = "AzureStorage",
        ["Intermediary:Jobs:Storage:ConnectionString"] = _storage.ConnectionString,
        ["Intermediary:Jobs:Storage:TableName"] = _storage.TableName,
        ["Intermediary:Jobs:Storage:QueueName"] = _storage.QueueName,
        ["Intermediary:Jobs:Storage:ContainerName"] = _storage.ContainerName,
    };

    /// <summary>Two worker processes share one Azure store: the lease keeps the job to one of them.</summary>
    [Fact]
    public async Task Two_workers_given_the_same_job_at_once_run_it_once()
    {
        var (a, b) = (Worker(), Worker());
        var job = await CreateAsync(a, "/jobs/slow?seconds=10");

        var runA = a.Runner.RunAsync(job.Id, 1, default);
        await Eventually.True(() => Simulator.InFlightApiRequests == 1, "one worker is running the job");
        var runB = await b.Runner.RunAsync(job.Id, 1, default);
        Clock.Advance(TimeSpan.FromSeconds(10));
        var resultA = await runA;

        Assert.False(runB.Completed, "the second delivery waits for the first worker's lease");
        Assert.True(resultA.Completed);
        Assert.Equal(1, Simulator.CountApiRequests("/jobs/slow"));
        Assert.Equal(JobStatus.Succeeded, (await a.Store.GetAsync(job.Id, default))!.Status);
    }
}
