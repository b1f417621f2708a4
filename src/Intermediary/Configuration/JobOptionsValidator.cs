namespace Intermediary.Configuration;

/// <summary>
/// The rules for jobs: their budgets, the pollers' interval, concurrency, leases and the store.
/// Each error names the configuration key that fixes it.
/// </summary>
internal static class JobOptionsValidator
{
    /// <param name="prefix">The configuration key of <paramref name="jobs"/>, which every message starts with.</param>
    public static void Validate(string prefix, JobOptions jobs, ICollection<string> errors)
    {
        if (jobs.Timeout <= TimeSpan.Zero || jobs.TimeToLive <= jobs.Timeout)
        {
            errors.Add($"{prefix}:Timeout must be positive and {prefix}:TimeToLive longer than it.");
        }

        if (jobs.PollInterval < JobDefaults.ShortestPollInterval || jobs.PollInterval > JobDefaults.LongestPollInterval)
        {
            errors.Add($"{prefix}:PollInterval must be between 1 second and 5 minutes.");
        }

        if (jobs.MaxConcurrency is < 1 or > JobDefaults.MaxConcurrencyLimit)
        {
            errors.Add($"{prefix}:MaxConcurrency must be between 1 and {JobDefaults.MaxConcurrencyLimit}.");
        }

        if (jobs.LeaseDuration < JobDefaults.ShortestLease)
        {
            errors.Add($"{prefix}:LeaseDuration must be at least 5 seconds.");
        }

        if (jobs.MaxDeliveries is < 1 or > JobDefaults.MaxDeliveriesLimit)
        {
            errors.Add($"{prefix}:MaxDeliveries must be between 1 and {JobDefaults.MaxDeliveriesLimit}.");
        }

        if (jobs.Memory.MaxJobs < 1 || jobs.Memory.MaxBytes < JobDefaults.SmallestMemoryMaxBytes)
        {
            errors.Add($"{prefix}:Memory:MaxJobs must be at least 1 and {prefix}:Memory:MaxBytes at least 1 MiB ({JobDefaults.SmallestMemoryMaxBytes}).");
        }

        var storage = jobs.Storage;
        if (jobs.Store == JobStoreKind.AzureStorage && string.IsNullOrWhiteSpace(storage.ConnectionString)
            && (storage.TableServiceUri is null || storage.QueueServiceUri is null || storage.BlobServiceUri is null))
        {
            errors.Add($"{prefix}:Storage:ConnectionString (or all of {prefix}:Storage:TableServiceUri, QueueServiceUri and BlobServiceUri, for managed identity) is required when {prefix}:Store is AzureStorage.");
        }

        if (storage.VisibilityTimeout < JobDefaults.ShortestVisibilityTimeout)
        {
            errors.Add($"{prefix}:Storage:VisibilityTimeout must be at least 10 seconds.");
        }
    }
}
