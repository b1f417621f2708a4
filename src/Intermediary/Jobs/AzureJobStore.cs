using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Intermediary.Tokens;

namespace Intermediary.Jobs;

/// <summary>
/// Jobs in Azure Table Storage (one entity per job, ETag optimistic concurrency on every change), with request
/// bodies and results too large for a table property kept in Blob Storage — and the sealed session of a job acting
/// for a user in the job's blob folder (<c>{id}/user-session</c>), deleted with the job's other blobs.
/// </summary>
internal sealed class AzureJobStore(AzureStorageClients clients) : IJobStore, IUserSessionStore
{
    private const string JobRow = "job";
    private const string BlobPrefix = "blob:";

    // A table string property holds 64 KiB (32K UTF-16 characters); stay well below it.
    private const int MaxInlineChars = 30_000;

    public async Task<(JobRecord Job, bool Created)> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        var entity = await ToEntityAsync(job, cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                // One insert is the whole creation: a job id derived from its Idempotency-Key makes a second start
                // with that key collide here (409) instead of needing an index row written separately.
                var response = await clients.Table.AddEntityAsync(entity, cancellationToken);
                return (job with { ETag = response.Headers.ETag?.ToString() ?? "", RequestBlob = BlobNameOf(entity.GetString("Request")) }, true);
            }
            catch (RequestFailedException ex) when (ex.Status == 409)
            {
                if (await GetAsync(job.Id, cancellationToken) is { } existing)
                {
                    // The first job stands as it was; a large body this start uploaded is not its own.
                    if (BlobNameOf(entity.GetString("Request")) is { } uploaded)
                    {
                        await clients.Blobs.DeleteBlobIfExistsAsync(uploaded, cancellationToken: cancellationToken);
                    }

                    return (existing, false);
                }

                if (attempt > 0)
                {
                    throw;
                }

                // Purged between the insert and the read: the id is free again.
            }
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
        await foreach (var entity in clients.Table.QueryAsync<TableEntity>(filter, select: ["PartitionKey"], cancellationToken: cancellationToken))
        {
            await clients.Table.DeleteEntityAsync(entity.PartitionKey, JobRow, ETag.All, cancellationToken);
            await DeleteBlobsAsync(entity.PartitionKey, cancellationToken);
            purged++;
        }

        return purged;
    }

    public async Task<byte[]?> ReadSessionAsync(string jobId, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        try
        {
            var download = await clients.Blobs.GetBlobClient(SessionBlob(jobId)).DownloadContentAsync(cancellationToken);
            return download.Value.Content.ToArray();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    public async Task WriteSessionAsync(string jobId, byte[] sealedSession, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        await clients.Blobs.GetBlobClient(SessionBlob(jobId)).UploadAsync(BinaryData.FromBytes(sealedSession), overwrite: true, cancellationToken);
    }

    public async Task DeleteSessionAsync(string jobId, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        await clients.Blobs.DeleteBlobIfExistsAsync(SessionBlob(jobId), cancellationToken: cancellationToken);
    }

    private static string SessionBlob(string jobId) => $"{jobId}/user-session";

    private async Task DeleteBlobsAsync(string id, CancellationToken cancellationToken)
    {
        await foreach (var blob in clients.Blobs.GetBlobsAsync(BlobTraits.None, BlobStates.None, id + "/", cancellationToken))
        {
            await clients.Blobs.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken);
        }
    }

    private async Task<TableEntity> ToEntityAsync(JobRecord job, CancellationToken cancellationToken) => new(job.Id, JobRow)
    {
        ["Upstream"] = job.Upstream,
        ["Status"] = job.Status.ToWire(),
        ["CorrelationId"] = job.CorrelationId,
        ["IdempotencyHash"] = job.IdempotencyHash,
        ["Owner"] = job.Owner,
        // The request never changes after creation: a large one is uploaded once and referenced from then on.
        ["Request"] = job.RequestBlob is { } requestBlob
            ? BlobPrefix + requestBlob
            : await InlineOrBlobAsync(job.Id, "request", JsonSerializer.Serialize(job.Request, JobJsonContext.Default.JobRequest), cancellationToken),
        ["Result"] = job.ResultJson is null ? null : await InlineOrBlobAsync(job.Id, "result", job.ResultJson, cancellationToken),
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
        var requestReference = entity.GetString("Request");
        var requestJson = await InlineOrBlobContentAsync(requestReference, cancellationToken);
        var resultJson = entity.GetString("Result") is { } result ? await InlineOrBlobContentAsync(result, cancellationToken) : null;
        return new JobRecord
        {
            Id = entity.PartitionKey,
            Upstream = entity.GetString("Upstream"),
            Status = JobStatusExtensions.FromWire(entity.GetString("Status")),
            CorrelationId = entity.GetString("CorrelationId"),
            IdempotencyHash = entity.GetString("IdempotencyHash"),
            Owner = entity.GetString("Owner"),
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
            RequestBlob = BlobNameOf(requestReference),
        };
    }

    private async Task<string> InlineOrBlobAsync(string id, string name, string content, CancellationToken cancellationToken)
    {
        if (content.Length <= MaxInlineChars)
        {
            return content;
        }

        // A new name per write: a writer that loses the ETag race (or a duplicate start) never overwrites what the
        // winner's entity points to. Everything under "{id}/" goes when the job is purged.
        var blobName = $"{id}/{name}-{Guid.NewGuid():N}.json";
        await clients.Blobs.GetBlobClient(blobName).UploadAsync(BinaryData.FromString(content), overwrite: true, cancellationToken);
        return BlobPrefix + blobName;
    }

    private static string? BlobNameOf(string? stored) =>
        stored is not null && stored.StartsWith(BlobPrefix, StringComparison.Ordinal) ? stored[BlobPrefix.Length..] : null;

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
