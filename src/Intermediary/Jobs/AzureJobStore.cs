using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Intermediary.Jobs;

/// <summary>
/// Jobs in Azure Table Storage (one entity per job, ETag optimistic concurrency on every change), with request
/// bodies and results too large for a table property kept in Blob Storage.
/// </summary>
internal sealed class AzureJobStore(AzureStorageClients clients) : IJobStore
{
    private const string JobRow = "job";
    private const string IdempotencyRow = "idempotency";
    private const string BlobPrefix = "blob:";

    // A table string property holds 64 KiB (32K UTF-16 characters); stay well below it.
    private const int MaxInlineChars = 30_000;

    public async Task<(JobRecord Job, bool Created)> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        var entity = await ToEntityAsync(job, cancellationToken);
        var response = await clients.Table.AddEntityAsync(entity, cancellationToken);
        var stored = job with { ETag = response.Headers.ETag?.ToString() ?? "" };
        if (job.IdempotencyHash is not { } hash)
        {
            return (stored, true);
        }

        try
        {
            // The index entry is added after the job, so whoever finds it also finds the job it names.
            await clients.Table.AddEntityAsync(new TableEntity(hash, IdempotencyRow) { ["JobId"] = job.Id }, cancellationToken);
            return (stored, true);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            await DeleteJobAsync(stored, cancellationToken);
            var index = await clients.Table.GetEntityAsync<TableEntity>(hash, IdempotencyRow, cancellationToken: cancellationToken);
            var existing = await GetAsync(index.Value.GetString("JobId"), cancellationToken);
            return existing is null ? await CreateAsync(job, cancellationToken) : (existing, false);
        }
    }

    public async Task<JobRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        var response = await clients.Table.GetEntityIfExistsAsync<TableEntity>(id, JobRow, cancellationToken: cancellationToken);
        return response.HasValue ? await FromEntityAsync(response.Value!, cancellationToken) : null;
    }

    public async Task<JobRecord?> TryReplaceAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        var entity = await ToEntityAsync(job, cancellationToken);
        try
        {
            var response = await clients.Table.UpdateEntityAsync(entity, new ETag(job.ETag), TableUpdateMode.Replace, cancellationToken);
            return job with { ETag = response.Headers.ETag?.ToString() ?? "" };
        }
        catch (RequestFailedException ex) when (ex.Status is 412 or 404)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<JobRecord>> ListRecoverableAsync(DateTimeOffset now, DateTimeOffset queuedBefore, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        var running = JobStatus.Running.ToWire();
        var queued = JobStatus.Queued.ToWire();
        var filter = TableClient.CreateQueryFilter(
            $"RowKey eq {JobRow} and ((Status eq {running} and LeaseExpiresAt le {now}) or (Status eq {queued} and UpdatedAt le {queuedBefore}))");
        var jobs = new List<JobRecord>();
        await foreach (var entity in clients.Table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            jobs.Add(await FromEntityAsync(entity, cancellationToken));
        }

        return jobs;
    }

    public async Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {JobRow} and ExpiresAt le {now}");
        var purged = 0;
        await foreach (var entity in clients.Table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "IdempotencyHash"], cancellationToken: cancellationToken))
        {
            if (entity.GetString("IdempotencyHash") is { } hash)
            {
                await clients.Table.DeleteEntityAsync(hash, IdempotencyRow, ETag.All, cancellationToken);
            }

            await clients.Table.DeleteEntityAsync(entity.PartitionKey, JobRow, ETag.All, cancellationToken);
            await DeleteBlobsAsync(entity.PartitionKey, cancellationToken);
            purged++;
        }

        return purged;
    }

    private async Task DeleteJobAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await clients.Table.DeleteEntityAsync(job.Id, JobRow, ETag.All, cancellationToken);
        await DeleteBlobsAsync(job.Id, cancellationToken);
    }

    private async Task DeleteBlobsAsync(string id, CancellationToken cancellationToken)
    {
        await clients.Blobs.DeleteBlobIfExistsAsync($"{id}/request.json", cancellationToken: cancellationToken);
        await clients.Blobs.DeleteBlobIfExistsAsync($"{id}/result.json", cancellationToken: cancellationToken);
    }

    private async Task<TableEntity> ToEntityAsync(JobRecord job, CancellationToken cancellationToken) => new(job.Id, JobRow)
    {
        ["Upstream"] = job.Upstream,
        ["Status"] = job.Status.ToWire(),
        ["CorrelationId"] = job.CorrelationId,
        ["IdempotencyHash"] = job.IdempotencyHash,
        ["Request"] = await InlineOrBlobAsync(job.Id, "request.json", JsonSerializer.Serialize(job.Request, JobJsonContext.Default.JobRequest), cancellationToken),
        ["Result"] = job.ResultJson is null ? null : await InlineOrBlobAsync(job.Id, "result.json", job.ResultJson, cancellationToken),
        ["CreatedAt"] = job.CreatedAt,
        ["UpdatedAt"] = job.UpdatedAt,
        ["CompletedAt"] = job.CompletedAt,
        ["ExpiresAt"] = job.ExpiresAt,
        ["RunCount"] = job.RunCount,
        ["LeaseOwner"] = job.LeaseOwner,
        ["LeaseExpiresAt"] = job.LeaseExpiresAt,
        ["CancelRequested"] = job.CancelRequested,
    };

    private async Task<JobRecord> FromEntityAsync(TableEntity entity, CancellationToken cancellationToken)
    {
        var requestJson = await InlineOrBlobContentAsync(entity.GetString("Request"), cancellationToken);
        var resultJson = entity.GetString("Result") is { } result ? await InlineOrBlobContentAsync(result, cancellationToken) : null;
        return new JobRecord
        {
            Id = entity.PartitionKey,
            Upstream = entity.GetString("Upstream"),
            Status = JobStatusExtensions.FromWire(entity.GetString("Status")),
            CorrelationId = entity.GetString("CorrelationId"),
            IdempotencyHash = entity.GetString("IdempotencyHash"),
            Request = JsonSerializer.Deserialize(requestJson!, JobJsonContext.Default.JobRequest)!,
            ResultJson = resultJson,
            CreatedAt = entity.GetDateTimeOffset("CreatedAt")!.Value,
            UpdatedAt = entity.GetDateTimeOffset("UpdatedAt")!.Value,
            CompletedAt = entity.GetDateTimeOffset("CompletedAt"),
            ExpiresAt = entity.GetDateTimeOffset("ExpiresAt")!.Value,
            RunCount = entity.GetInt32("RunCount") ?? 0,
            LeaseOwner = entity.GetString("LeaseOwner"),
            LeaseExpiresAt = entity.GetDateTimeOffset("LeaseExpiresAt"),
            CancelRequested = entity.GetBoolean("CancelRequested") ?? false,
            ETag = entity.ETag.ToString(),
        };
    }

    private async Task<string> InlineOrBlobAsync(string id, string name, string content, CancellationToken cancellationToken)
    {
        if (content.Length <= MaxInlineChars)
        {
            return content;
        }

        var blobName = $"{id}/{name}";
        await clients.Blobs.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(content), overwrite: true, cancellationToken);
        return BlobPrefix + blobName;
    }

    private async Task<string?> InlineOrBlobContentAsync(string? stored, CancellationToken cancellationToken)
    {
        if (stored is null || !stored.StartsWith(BlobPrefix, StringComparison.Ordinal))
        {
            return stored;
        }

        var download = await clients.Blobs.GetBlobClient(stored[BlobPrefix.Length..]).DownloadContentAsync(cancellationToken);
        return download.Value.Content.ToString();
    }
}
