using System.Diagnostics;
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
    public async Task A_second_create_with_the_same_id_returns_the_first_job_unchanged()
    {
        var id = JobRecord.IdFor("hash-1");
        var first = NewJob(body: Encoding.UTF8.GetBytes("first")) with { Id = id };
        var second = NewJob(body: Encoding.UTF8.GetBytes("second")) with { Id = id, CorrelationId = "other" };

        await Store.CreateAsync(first, default);
        var (job, created) = await Store.CreateAsync(second, default);

        Assert.False(created);
        Assert.Equal("corr", job.CorrelationId);
        Assert.Equal("first", Encoding.UTF8.GetString((await Store.GetAsync(id, default))!.Request.Body!));
    }

    [Fact]
    public async Task A_duplicate_create_never_overwrites_the_first_jobs_large_request()
    {
        var id = JobRecord.IdFor("large");
        var first = NewJob(body: Encoding.UTF8.GetBytes(new string('1', 100_000))) with { Id = id };
        var second = NewJob(body: Encoding.UTF8.GetBytes(new string('2', 100_000))) with { Id = id };

        await Store.CreateAsync(first, default);
        await Store.CreateAsync(second, default);
        var read = await Store.GetAsync(id, default);

        Assert.Equal(first.Request.Body, read!.Request.Body);
    }

    [Fact]
    public async Task Concurrent_creates_with_one_id_make_one_job()
    {
        var id = JobRecord.IdFor("race");
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Store.CreateAsync(NewJob() with { Id = id, CorrelationId = $"c{i}" }, default)));

        Assert.Single(results, r => r.Created);
        var winner = results.Single(r => r.Created).Job.CorrelationId;
        Assert.All(results, r => Assert.Equal(winner, r.Job.CorrelationId));
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
    public async Task Purge_removes_expired_jobs_and_frees_their_id()
    {
        var now = Clock.GetUtcNow();
        var id = JobRecord.IdFor("purge-me");
        var (expired, _) = await Store.CreateAsync(NewJob() with { Id = id, ExpiresAt = now.AddSeconds(-1), ResultJson = "{\"x\":\"" + new string('r', 40_000) + "\"}" }, default);
        var (kept, _) = await Store.CreateAsync(NewJob(), default);

        var purged = await Store.PurgeExpiredAsync(now, default);
        var (again, created) = await Store.CreateAsync(NewJob() with { Id = id }, default);

        Assert.Equal(1, purged);
        Assert.NotNull(await Store.GetAsync(kept.Id, default));
        Assert.True(created);
        Assert.Null(again.ResultJson);
        Assert.Null((await Store.GetAsync(id, default))!.ResultJson);
    }

    [Fact]
    public async Task A_users_job_keeps_its_owner_and_its_session_until_the_job_is_purged()
    {
        var now = Clock.GetUtcNow();
        var (job, _) = await Store.CreateAsync(NewJob() with { Owner = "tenant/a11ce", ExpiresAt = now.AddSeconds(-1) }, default);
        var (other, _) = await Store.CreateAsync(NewJob() with { Owner = "tenant/b0b" }, default);
        var sessions = (Intermediary.Tokens.IUserSessionStore)Store;
        await sessions.WriteSessionAsync(job.Id, [1, 2, 3], default);
        await sessions.WriteSessionAsync(job.Id, [4, 5], default);
        await sessions.WriteSessionAsync(other.Id, [6], default);

        var read = await sessions.ReadSessionAsync(job.Id, default);
        var owner = (await Store.GetAsync(job.Id, default))!.Owner;
        await Store.PurgeExpiredAsync(now, default);

        Assert.Equal("tenant/a11ce", owner);
        Assert.Equal(new byte[] { 4, 5 }, read);
        Assert.Null(await sessions.ReadSessionAsync(job.Id, default));
        Assert.Equal(new byte[] { 6 }, await sessions.ReadSessionAsync(other.Id, default));
        await sessions.DeleteSessionAsync(other.Id, default);
        await sessions.DeleteSessionAsync(other.Id, default);
        Assert.Null(await sessions.ReadSessionAsync(other.Id, default));
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
    public async Task A_received_message_is_not_delivered_again_while_it_is_held_renewed_or_after_it_is_completed()
    {
        var id = JobRecord.NewId();
        await Queue.EnqueueAsync(id, default);
        var message = await ReceiveAsync();

        var whileHeld = await ReceiveWithinAsync(TimeSpan.FromMilliseconds(300));
        var renewed = await Queue.RenewAsync(message, default);
        await Queue.CompleteAsync(renewed, default);
        var afterCompletion = await ReceiveWithinAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(id, message.JobId);
        Assert.Equal(id, renewed.JobId);
        Assert.Null(whileHeld);
        Assert.Null(afterCompletion);
    }

    private protected async Task<JobMessage?> ReceiveWithinAsync(TimeSpan wait)
    {
        using var timeout = new CancellationTokenSource(wait);
        return await Queue.ReceiveAsync(timeout.Token);
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

    [Fact]
    public async Task A_full_store_evicts_the_job_that_finished_first_to_make_room()
    {
        var store = new InMemoryJobStore(new InMemoryStoreOptions { MaxJobs = 3 });
        var finishedFirst = await FinishAsync(store, NewJob(), Clock.GetUtcNow());
        var finishedLater = await FinishAsync(store, NewJob(), Clock.GetUtcNow().AddMinutes(1));
        var (running, _) = await store.CreateAsync(NewJob() with { Status = JobStatus.Running }, default);

        var (added, created) = await store.CreateAsync(NewJob(), default);

        Assert.True(created);
        Assert.Null(await store.GetAsync(finishedFirst.Id, default));
        Assert.NotNull(await store.GetAsync(finishedLater.Id, default));
        Assert.NotNull(await store.GetAsync(running.Id, default));
        Assert.NotNull(await store.GetAsync(added.Id, default));
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public async Task A_store_full_of_unfinished_jobs_refuses_new_ones_and_keeps_every_existing_one()
    {
        var store = new InMemoryJobStore(new InMemoryStoreOptions { MaxJobs = 2 });
        var (queued, _) = await store.CreateAsync(NewJob(), default);
        var (running, _) = await store.CreateAsync(NewJob() with { Status = JobStatus.Running }, default);

        await Assert.ThrowsAsync<JobStoreFullException>(() => store.CreateAsync(NewJob(), default));

        Assert.NotNull(await store.GetAsync(queued.Id, default));
        Assert.NotNull(await store.GetAsync(running.Id, default));
    }

    [Fact]
    public async Task The_byte_limit_counts_bodies_and_evicts_finished_jobs_for_a_large_one()
    {
        var store = new InMemoryJobStore(new InMemoryStoreOptions { MaxBytes = 1024 * 1024 });
        var small = await FinishAsync(store, NewJob(body: new byte[300_000]), Clock.GetUtcNow());
        var held = await FinishAsync(store, NewJob(body: new byte[300_000]), Clock.GetUtcNow().AddSeconds(1));

        var (large, created) = await store.CreateAsync(NewJob(body: new byte[600_000]), default);

        Assert.True(created);
        Assert.Null(await store.GetAsync(small.Id, default));
        Assert.NotNull(await store.GetAsync(held.Id, default));
        Assert.NotNull(await store.GetAsync(large.Id, default));
        Assert.InRange(store.Bytes, 900_000, 1024 * 1024);
        await Assert.ThrowsAsync<JobStoreFullException>(() => store.CreateAsync(NewJob(body: new byte[2 * 1024 * 1024]), default));
        Assert.NotNull(await store.GetAsync(held.Id, default));
    }

    [Fact]
    public async Task A_finishing_job_keeps_its_result_even_past_the_byte_limit()
    {
        var store = new InMemoryJobStore(new InMemoryStoreOptions { MaxBytes = 1024 * 1024 });
        var older = await FinishAsync(store, NewJob(body: new byte[200_000]), Clock.GetUtcNow());
        var (running, _) = await store.CreateAsync(NewJob() with { Status = JobStatus.Running }, default);
        var result = "{\"data\":\"" + new string('r', 600_000) + "\"}";

        var finished = await store.TryReplaceAsync(running with { Status = JobStatus.Succeeded, ResultJson = result }, default);

        Assert.NotNull(finished);
        Assert.Equal(result, (await store.GetAsync(running.Id, default))!.ResultJson);
        Assert.Null(await store.GetAsync(older.Id, default));
    }

    private static async Task<JobRecord> FinishAsync(InMemoryJobStore store, JobRecord job, DateTimeOffset completedAt)
    {
        var (created, _) = await store.CreateAsync(job, default);
        return (await store.TryReplaceAsync(created with { Status = JobStatus.Succeeded, CompletedAt = completedAt, ResultJson = "{}" }, default))!;
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
        Queue = new AzureJobQueue(clients, Storage, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AzureJobQueue>.Instance);
    }

    internal JobStorageOptions Storage { get; }

    private protected override IJobStore Store { get; }

    private protected override IJobQueue Queue { get; }

    // Azure Storage's visibility timeout runs on its own (real) clock: these two tests wait for it, seconds at most.
    [Fact]
    public async Task Renewal_keeps_a_message_invisible_past_its_first_visibility_timeout()
    {
        // A scenario whose steps the machine ran too late to tell anything is run again (on a fresh queue); it never
        // counts as a pass.
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await RenewalScenario($"-renew{attempt}");
            if (outcome is { } seen)
            {
                Assert.Null(seen.PastFirstTimeout);
                Assert.Null(seen.AfterCompletion);
                return;
            }

            Assert.True(attempt < 3, "Three times the peek after the first visibility timeout ran too late to tell a renewed message from an expired one");
        }
    }

    [Fact]
    public async Task Without_renewal_or_completion_a_message_comes_back_with_its_delivery_count_raised()
    {
        var (queue, _) = ShortVisibilityQueue();
        var id = JobRecord.NewId();
        await queue.EnqueueAsync(id, default);
        var first = (await queue.ReceiveAsync(default))!;

        await Task.Delay(ShortVisibility);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var again = await queue.ReceiveAsync(wait.Token);

        Assert.Equal(1, first.DeliveryCount);
        Assert.Equal(id, again!.JobId);
        Assert.Equal(2, again.DeliveryCount);
    }

    /// <summary>
    /// Receive, renew, peek past the first timeout, complete, peek past the renewed one. Peeking does not take the
    /// message, so it shows visibility without changing the receipt. The first timeout ends at the latest
    /// <see cref="ShortVisibility"/> after the receive returned; the renewed one at the earliest that long after the
    /// renewal was sent. Null when the first peek ended after that earliest moment (it could not tell).
    /// </summary>
    private async Task<(QueueMessageSeen? PastFirstTimeout, QueueMessageSeen? AfterCompletion)?> RenewalScenario(string queueSuffix)
    {
        var (queue, clients) = ShortVisibilityQueue(queueSuffix);
        await queue.EnqueueAsync(JobRecord.NewId(), default);
        var message = (await queue.ReceiveAsync(default))!;
        var received = Stopwatch.GetTimestamp();

        await DelayUntil(received, TimeSpan.FromSeconds(1.5));
        var renewalSent = Stopwatch.GetTimestamp();
        var renewed = await queue.RenewAsync(message, default);
        var renewalAnswered = Stopwatch.GetTimestamp();
        await DelayUntil(received, ShortVisibility + TimeSpan.FromSeconds(0.5));
        var pastFirstTimeout = await Peek(clients);
        var peekEnded = Stopwatch.GetElapsedTime(renewalSent);

        await queue.CompleteAsync(renewed, default);
        await DelayUntil(renewalAnswered, ShortVisibility + TimeSpan.FromSeconds(0.5));
        var afterCompletion = await Peek(clients);

        return peekEnded < ShortVisibility ? (pastFirstTimeout, afterCompletion) : null;
    }

    private static readonly TimeSpan ShortVisibility = TimeSpan.FromSeconds(3);

    private static async Task DelayUntil(long from, TimeSpan offset)
    {
        var remaining = offset - Stopwatch.GetElapsedTime(from);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }
    }

    private static async Task<QueueMessageSeen?> Peek(AzureStorageClients clients)
    {
        var peeked = await clients.Queue.PeekMessagesAsync(1);
        return peeked.Value is [var message, ..] ? new QueueMessageSeen(message.MessageText, message.DequeueCount) : null;
    }

    private (AzureJobQueue Queue, AzureStorageClients Clients) ShortVisibilityQueue(string queueSuffix = "-short")
    {
        var storage = new JobStorageOptions
        {
            ConnectionString = Storage.ConnectionString,
            TableName = Storage.TableName,
            QueueName = Storage.QueueName + queueSuffix,
            ContainerName = Storage.ContainerName,
            VisibilityTimeout = ShortVisibility,
        };
        var clients = new AzureStorageClients(storage);
        return (new AzureJobQueue(clients, storage, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AzureJobQueue>.Instance), clients);
    }

    /// <summary>A message a peek saw (record so that a failed assertion prints what was visible).</summary>
    private sealed record QueueMessageSeen(string Text, long DequeueCount);
}
