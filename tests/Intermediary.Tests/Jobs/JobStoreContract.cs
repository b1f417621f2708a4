using System.Text;
using Intermediary.Configuration;
using Intermediary.Jobs;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Jobs;

/// <summary>The contract every job store and queue keeps; run against the in-memory default and real Azurite.</summary>
public abstract class JobStoreContract
{
    private protected TestClock Clock { get; } = new();

    private protected abstract IJobStore Store { get; }

    private protected abstract IJobQueue Queue { get; }

    [Fact]
    public async Task A_created_job_reads_back_as_it_was_stored()
    {
        var job = NewJob(body: Encoding.UTF8.GetBytes("""{"name":"pen"}"""));

        var (stored, created) = await Store.CreateAsync(job, default);
        var read = await Store.GetAsync(job.Id, default);

        Assert.True(created);
        Assert.NotNull(read);
        Assert.Equal(JobStatus.Queued, read.Status);
        Assert.Equal("POST", read.Request.Method);
        Assert.Equal("/items", read.Request.Path);
        Assert.Equal("?a=1", read.Request.Query);
        Assert.Equal("""{"name":"pen"}""", Encoding.UTF8.GetString(read.Request.Body!));
        Assert.Equal(job.Request.Headers, read.Request.Headers);
        Assert.Equal(job.CreatedAt, read.CreatedAt);
        Assert.Equal(job.ExpiresAt, read.ExpiresAt);
        Assert.Equal(stored.ETag, read.ETag);
        Assert.False(string.IsNullOrEmpty(read.ETag));
    }

    [Fact]
    public async Task Unknown_ids_read_as_null()
    {
        Assert.Null(await Store.GetAsync(JobRecord.NewId(), default));
    }

    [Fact]
    public async Task The_same_idempotency_hash_returns_the_first_job()
    {
        var first = NewJob() with { IdempotencyHash = "hash-1" };
        var second = NewJob() with { IdempotencyHash = "hash-1" };

        await Store.CreateAsync(first, default);
        var (job, created) = await Store.CreateAsync(second, default);

        Assert.False(created);
        Assert.Equal(first.Id, job.Id);
        Assert.Null(await Store.GetAsync(second.Id, default));
    }

    [Fact]
    public async Task Concurrent_creates_with_one_idempotency_hash_make_one_job()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Store.CreateAsync(NewJob() with { IdempotencyHash = "race" }, default)));

        Assert.Single(results, r => r.Created);
        Assert.Single(results.Select(r => r.Job.Id).Distinct());
    }

    [Fact]
    public async Task A_replace_with_a_stale_etag_is_refused()
    {
        var (job, _) = await Store.CreateAsync(NewJob(), default);
        var first = await Store.TryReplaceAsync(job with { Status = JobStatus.Running }, default);

        var stale = await Store.TryReplaceAsync(job with { Status = JobStatus.Canceled }, default);

        Assert.NotNull(first);
        Assert.NotEqual(job.ETag, first.ETag);
        Assert.Null(stale);
        Assert.Equal(JobStatus.Running, (await Store.GetAsync(job.Id, default))!.Status);
    }

    [Fact]
    public async Task Large_requests_and_results_round_trip()
    {
        var body = Encoding.UTF8.GetBytes(new string('b', 200_000));
        var (job, _) = await Store.CreateAsync(NewJob(body: body), default);
        var result = "{\"data\":\"" + new string('r', 300_000) + "\"}";

        var replaced = await Store.TryReplaceAsync(job with { Status = JobStatus.Succeeded, ResultJson = result }, default);
        var read = await Store.GetAsync(job.Id, default);

        Assert.NotNull(replaced);
        Assert.Equal(body, read!.Request.Body);
        Assert.Equal(result, read.ResultJson);
    }

    [Fact]
    public async Task Running_jobs_with_expired_leases_and_stale_queued_jobs_are_recoverable()
    {
        var now = Clock.GetUtcNow();
        var (dead, _) = await Store.CreateAsync(NewJob() with { Status = JobStatus.Running, LeaseOwner = "gone", LeaseExpiresAt = now.AddSeconds(-1) }, default);
        var (alive, _) = await Store.CreateAsync(NewJob() with { Status = JobStatus.Running, LeaseOwner = "here", LeaseExpiresAt = now.AddMinutes(1) }, default);
        var (stale, _) = await Store.CreateAsync(NewJob() with { UpdatedAt = now.AddMinutes(-10) }, default);
        var (fresh, _) = await Store.CreateAsync(NewJob(), default);
        var (done, _) = await Store.CreateAsync(NewJob() with { Status = JobStatus.Succeeded, UpdatedAt = now.AddMinutes(-10) }, default);

        var recoverable = (await Store.ListRecoverableAsync(now, now.AddMinutes(-2), default)).Select(j => j.Id).ToHashSet();

        Assert.Contains(dead.Id, recoverable);
        Assert.Contains(stale.Id, recoverable);
        Assert.DoesNotContain(alive.Id, recoverable);
        Assert.DoesNotContain(fresh.Id, recoverable);
        Assert.DoesNotContain(done.Id, recoverable);
    }

    [Fact]
    public async Task Purge_removes_expired_jobs_and_frees_their_idempotency_key()
    {
        var now = Clock.GetUtcNow();
        var (expired, _) = await Store.CreateAsync(NewJob() with { IdempotencyHash = "purge-me", ExpiresAt = now.AddSeconds(-1), ResultJson = "{\"x\":\"" + new string('r', 40_000) + "\"}" }, default);
        var (kept, _) = await Store.CreateAsync(NewJob(), default);

        var purged = await Store.PurgeExpiredAsync(now, default);
        var (again, created) = await Store.CreateAsync(NewJob() with { IdempotencyHash = "purge-me" }, default);

        Assert.Equal(1, purged);
        Assert.Null(await Store.GetAsync(expired.Id, default));
        Assert.NotNull(await Store.GetAsync(kept.Id, default));
        Assert.True(created);
        Assert.NotEqual(expired.Id, again.Id);
    }

    [Fact]
    public async Task Queue_delivers_what_was_enqueued_and_counts_redeliveries()
    {
        var id = JobRecord.NewId();
        await Queue.EnqueueAsync(id, default);

        var first = await ReceiveAsync();
        await Queue.ReleaseAsync(first, TimeSpan.Zero, default);
        var second = await ReceiveAsync();
        await Queue.CompleteAsync(second, default);

        Assert.Equal(id, first.JobId);
        Assert.Equal(1, first.DeliveryCount);
        Assert.Equal(id, second.JobId);
        Assert.Equal(2, second.DeliveryCount);
    }

    [Fact]
    public async Task A_renewed_message_can_still_be_completed()
    {
        await Queue.EnqueueAsync(JobRecord.NewId(), default);
        var message = await ReceiveAsync();

        var renewed = await Queue.RenewAsync(message, default);
        await Queue.CompleteAsync(renewed, default);

        using var nothing = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.Null(await Queue.ReceiveAsync(nothing.Token));
    }

    private async Task<JobMessage> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await Queue.ReceiveAsync(timeout.Token) ?? throw new TimeoutException("no message");
    }

    private protected JobRecord NewJob(byte[]? body = null)
    {
        var now = Clock.GetUtcNow();
        return new JobRecord
        {
            Id = JobRecord.NewId(),
            Upstream = "demo",
            Request = new JobRequest("POST", "/items", "?a=1", [new("Accept", "application/json"), new("Idempotency-Key", "k")], body),
            CorrelationId = "corr",
            CreatedAt = now,
            UpdatedAt = now,
            ExpiresAt = now.AddHours(24),
        };
    }
}

public sealed class InMemoryJobStoreTests : JobStoreContract
{
    public InMemoryJobStoreTests()
    {
        Store = new InMemoryJobStore();
        Queue = new InMemoryJobQueue(Clock);
    }

    private protected override IJobStore Store { get; }

    private protected override IJobQueue Queue { get; }

    [Fact]
    public async Task Released_messages_come_back_after_the_delay_on_the_clock()
    {
        await Queue.EnqueueAsync(JobRecord.NewId(), default);
        var message = await Queue.ReceiveAsync(default);
        await Queue.ReleaseAsync(message!, TimeSpan.FromSeconds(30), default);
        var receiving = Queue.ReceiveAsync(default);

        Clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(receiving.IsCompleted);
        Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(2, (await receiving)!.DeliveryCount);
    }
}

[Collection(AzuriteTests.Name)]
public sealed class AzureJobStoreTests : JobStoreContract
{
    public AzureJobStoreTests(AzuriteFixture azurite)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        Storage = azurite.FreshStorage();
        var clients = new AzureStorageClients(Storage);
        Store = new AzureJobStore(clients);
        Queue = new AzureJobQueue(clients, Storage, TimeProvider.System);
    }

    internal JobStorageOptions Storage { get; }

    private protected override IJobStore Store { get; }

    private protected override IJobQueue Queue { get; }
}
