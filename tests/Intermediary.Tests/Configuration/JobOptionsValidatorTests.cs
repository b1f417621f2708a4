using Intermediary.Configuration;

namespace Intermediary.Tests.Configuration;

/// <summary>Job budgets, pollers' interval, concurrency, leases and the store: each rule at its edges, each error naming its key.</summary>
public sealed class JobOptionsValidatorTests
{
    private const string Prefix = "Intermediary:Jobs";

    [Fact]
    public void The_defaults_are_valid() => Assert.Empty(Errors(_ => { }));

    [Theory]
    [InlineData(600, 601, false)]
    [InlineData(0, 601, true)]
    [InlineData(600, 600, true)]
    public void A_job_has_a_positive_budget_and_is_kept_longer_than_it_may_run(int timeoutSeconds, int ttlSeconds, bool refused) =>
        AssertRule(o => (o.Timeout, o.TimeToLive) = (TimeSpan.FromSeconds(timeoutSeconds), TimeSpan.FromSeconds(ttlSeconds)),
            $"{Prefix}:Timeout must be positive and {Prefix}:TimeToLive longer than it.", refused);

    [Theory]
    [InlineData(1_000, false)]
    [InlineData(300_000, false)]
    [InlineData(999, true)]
    [InlineData(300_001, true)]
    public void Pollers_are_told_to_come_back_after_one_second_to_five_minutes(int milliseconds, bool refused) =>
        AssertRule(o => o.PollInterval = TimeSpan.FromMilliseconds(milliseconds), $"{Prefix}:PollInterval must be between 1 second and 5 minutes.", refused);

    [Theory]
    [InlineData(1, false)]
    [InlineData(64, false)]
    [InlineData(0, true)]
    [InlineData(65, true)]
    public void A_worker_runs_one_to_sixty_four_jobs_at_once(int jobs, bool refused) =>
        AssertRule(o => o.MaxConcurrency = jobs, $"{Prefix}:MaxConcurrency must be between 1 and 64.", refused);

    [Theory]
    [InlineData(5_000, false)]
    [InlineData(4_999, true)]
    public void A_lease_lasts_at_least_five_seconds(int milliseconds, bool refused) =>
        AssertRule(o => o.LeaseDuration = TimeSpan.FromMilliseconds(milliseconds), $"{Prefix}:LeaseDuration must be at least 5 seconds.", refused);

    [Theory]
    [InlineData(1, false)]
    [InlineData(20, false)]
    [InlineData(0, true)]
    [InlineData(21, true)]
    public void A_message_is_delivered_one_to_twenty_times_before_it_is_poison(int deliveries, bool refused) =>
        AssertRule(o => o.MaxDeliveries = deliveries, $"{Prefix}:MaxDeliveries must be between 1 and 20.", refused);

    [Theory]
    [InlineData(1, 1_048_576, false)]
    [InlineData(0, 1_048_576, true)]
    [InlineData(1, 1_048_575, true)]
    public void The_in_memory_store_holds_at_least_one_job_and_one_mebibyte(int jobs, long bytes, bool refused) =>
        AssertRule(o => (o.Memory.MaxJobs, o.Memory.MaxBytes) = (jobs, bytes),
            $"{Prefix}:Memory:MaxJobs must be at least 1 and {Prefix}:Memory:MaxBytes at least 1 MiB (1048576).", refused);

    [Theory]
    [InlineData(10, false)]
    [InlineData(9, true)]
    public void A_received_message_stays_invisible_at_least_ten_seconds(int seconds, bool refused) =>
        AssertRule(o => o.Storage.VisibilityTimeout = TimeSpan.FromSeconds(seconds), $"{Prefix}:Storage:VisibilityTimeout must be at least 10 seconds.", refused);

    [Fact]
    public void Azure_storage_needs_a_connection_string_or_all_three_service_uris()
    {
        const string message = $"{Prefix}:Storage:ConnectionString (or all of {Prefix}:Storage:TableServiceUri, QueueServiceUri and BlobServiceUri, " +
            $"for managed identity) is required when {Prefix}:Store is AzureStorage.";

        AssertRule(o => o.Store = JobStoreKind.AzureStorage, message, refused: true);
        AssertRule(o => (o.Store, o.Storage.ConnectionString) = (JobStoreKind.AzureStorage, " "), message, refused: true);
        AssertRule(o => (o.Store, o.Storage.ConnectionString) = (JobStoreKind.AzureStorage, "UseDevelopmentStorage=true"), message, refused: false);
        AssertRule(o => UseServiceUris(o, blob: false), message, refused: true);
        AssertRule(o => UseServiceUris(o, blob: true), message, refused: false);
        // The in-memory store needs neither.
        AssertRule(o => o.Store = JobStoreKind.Memory, message, refused: false);
    }

    private static void UseServiceUris(JobOptions options, bool blob)
    {
        options.Store = JobStoreKind.AzureStorage;
        options.Storage.TableServiceUri = new Uri("https://account.table.core.windows.net");
        options.Storage.QueueServiceUri = new Uri("https://account.queue.core.windows.net");
        options.Storage.BlobServiceUri = blob ? new Uri("https://account.blob.core.windows.net") : null;
    }

    private static void AssertRule(Action<JobOptions> change, string message, bool refused) =>
        AreaValidation.AssertRule(Errors(change), message, refused);

    private static List<string> Errors(Action<JobOptions> change) =>
        AreaValidation.Errors<JobOptions>(Prefix, JobOptionsValidator.Validate, change);
}
