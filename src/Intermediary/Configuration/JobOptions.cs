namespace Intermediary.Configuration;

/// <summary>Asynchronous jobs: where they are kept and how they run. Bound from <c>Intermediary:Jobs</c>.</summary>
public sealed class JobOptions
{
    /// <summary><c>Memory</c> (one process, nothing to install) or <c>AzureStorage</c> (tables, queues, blobs).</summary>
    public JobStoreKind Store { get; set; } = JobStoreKind.Memory;

    /// <summary>Budget for one job: every attempt, wait and long-running-operation poll.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a job and its result are kept after it was created.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>The Retry-After given to pollers while a job is queued or running.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Jobs one worker process runs at the same time.</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>A running job's claim; renewed while it runs, so a dead worker's job is picked up after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Deliveries of one job's message before the job is failed as poison.</summary>
    public int MaxDeliveries { get; set; } = 5;

    /// <summary>Azure Storage settings, used when <see cref="Store"/> is <c>AzureStorage</c>.</summary>
    public JobStorageOptions Storage { get; set; } = new();

    /// <summary>Limits of the in-memory store, used when <see cref="Store"/> is <c>Memory</c>.</summary>
    public InMemoryStoreOptions Memory { get; set; } = new();
}

/// <summary>
/// How much the in-memory job store may hold. When full, finished jobs are evicted oldest first; with none left to
/// evict, new jobs are refused (ServiceUnavailable) until some finish.
/// </summary>
public sealed class InMemoryStoreOptions
{
    /// <summary>Jobs held at once, finished ones included. <value>The default is 10,000.</value></summary>
    public int MaxJobs { get; set; } = 10_000;

    /// <summary>Estimated bytes held at once: requests, results and ~4 KiB per job. <value>The default is 256 MiB.</value></summary>
    public long MaxBytes { get; set; } = 256L * 1024 * 1024;
}

/// <summary>Where job records and the dispatch queue live.</summary>
public enum JobStoreKind
{
    Memory,
    AzureStorage,
}

/// <summary>Azure Storage for jobs: a connection string, or service URIs with a managed identity.</summary>
public sealed class JobStorageOptions
{
    /// <summary>A storage connection string (e.g. the value of <c>AzureWebJobsStorage</c>); takes precedence over the URIs.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>With managed identity: <c>https://{account}.table.core.windows.net</c>.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>With managed identity: <c>https://{account}.queue.core.windows.net</c>.</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>With managed identity: <c>https://{account}.blob.core.windows.net</c>.</summary>
    public Uri? BlobServiceUri { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty means system-assigned.</summary>
    public string? ManagedIdentityClientId { get; set; }

    public string TableName { get; set; } = "IntermediaryJobs";
    public string QueueName { get; set; } = "intermediary-jobs";
    public string ContainerName { get; set; } = "intermediary-jobs";

    /// <summary>How long a received message stays invisible to other workers; renewed while the job runs.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
