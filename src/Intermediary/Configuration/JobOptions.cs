namespace Intermediary.Configuration;

/// <summary>Asynchronous jobs: where they are kept and how they run. Bound from <c>Intermediary:Jobs</c>.</summary>
public sealed class JobOptions
{
    /// <summary><c>Memory</c> (one process, nothing to install) or <c>AzureStorage</c> (tables, queues, blobs). <value>The default is <c>Memory</c>.</value></summary>
    public JobStoreKind Store { get; set; } = JobStoreKind.Memory;

    /// <summary>Budget for one job: every attempt, wait and long-running-operation poll. <value>The default is 10 minutes.</value></summary>
    public TimeSpan Timeout { get; set; } = JobDefaults.Timeout;

    /// <summary>How long a job and its result are kept after it was created; longer than <see cref="Timeout"/>. <value>The default is 24 hours.</value></summary>
    public TimeSpan TimeToLive { get; set; } = JobDefaults.TimeToLive;

    /// <summary>The Retry-After given to pollers while a job is queued or running, 1 s to 5 min. <value>The default is 5 seconds.</value></summary>
    public TimeSpan PollInterval { get; set; } = JobDefaults.PollInterval;

    /// <summary>Jobs one worker process runs at the same time, 1 to 64. <value>The default is 4.</value></summary>
    public int MaxConcurrency { get; set; } = JobDefaults.MaxConcurrency;

    /// <summary>
    /// A running job's claim, at least 5 s; renewed while it runs, so a dead worker's job is picked up after this.
    /// <value>The default is 1 minute.</value>
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = JobDefaults.LeaseDuration;

    /// <summary>Deliveries of one job's message before the job is failed as poison, 1 to 20. <value>The default is 5.</value></summary>
    public int MaxDeliveries { get; set; } = JobDefaults.MaxDeliveries;

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
    public int MaxJobs { get; set; } = JobDefaults.MemoryMaxJobs;

    /// <summary>Estimated bytes held at once: requests, results and ~4 KiB per job; at least 1 MiB. <value>The default is 256 MiB.</value></summary>
    public long MaxBytes { get; set; } = JobDefaults.MemoryMaxBytes;
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

    /// <summary>The table of job records. <value>The default is <c>IntermediaryJobs</c>.</value></summary>
    public string TableName { get; set; } = "IntermediaryJobs";

    /// <summary>The queue that dispatches jobs to workers. <value>The default is <c>intermediary-jobs</c>.</value></summary>
    public string QueueName { get; set; } = "intermediary-jobs";

    /// <summary>The blob container for requests and results too large for a table entity, and users' sessions. <value>The default is <c>intermediary-jobs</c>.</value></summary>
    public string ContainerName { get; set; } = "intermediary-jobs";

    /// <summary>
    /// How long a received message stays invisible to other workers, at least 10 s; renewed while the job runs.
    /// <value>The default is 60 seconds.</value>
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = JobDefaults.VisibilityTimeout;
}
