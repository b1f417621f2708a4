namespace Intermediary.Configuration;

/// <summary>The defaults of <see cref="JobOptions"/>, the limits start-up validation holds them to, and the runner's fixed limits, named once.</summary>
internal static class JobDefaults
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan TimeToLive = TimeSpan.FromHours(24);
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);
    public const int MaxConcurrency = 4;
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(1);
    public const int MaxDeliveries = 5;
    public static readonly TimeSpan VisibilityTimeout = TimeSpan.FromSeconds(60);
    public const int MemoryMaxJobs = 10_000;
    public const long MemoryMaxBytes = 256L * 1024 * 1024;

    /// <summary>Pollers are told to come back no sooner than this (a tighter loop only costs requests)…</summary>
    public static readonly TimeSpan ShortestPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>…and no later than this, so a finished job is seen within minutes.</summary>
    public static readonly TimeSpan LongestPollInterval = TimeSpan.FromMinutes(5);

    /// <summary>Jobs one process may run at once; beyond this they compete with synchronous calls for the same cores.</summary>
    public const int MaxConcurrencyLimit = 64;

    /// <summary>A shorter lease would be renewed more often than a store round trip can be relied on to take.</summary>
    public static readonly TimeSpan ShortestLease = TimeSpan.FromSeconds(5);

    /// <summary>A message delivered more often than this is poison whatever the setting.</summary>
    public const int MaxDeliveriesLimit = 20;

    /// <summary>The in-memory store's smallest byte budget: a few jobs with their results.</summary>
    public const long SmallestMemoryMaxBytes = 1024 * 1024;

    /// <summary>Below this, a queue message becomes visible again while a healthy worker is still renewing it.</summary>
    public static readonly TimeSpan ShortestVisibilityTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Tries of one job store operation before the message is left for another delivery (the waits between them add up to about 45 s).</summary>
    public const int StoreAttempts = 8;

    /// <summary>The wait after a job store operation's first failure; it doubles up to <see cref="LongestStoreRetryDelay"/>.</summary>
    public static readonly TimeSpan FirstStoreRetryDelay = TimeSpan.FromMilliseconds(500);

    public static readonly TimeSpan LongestStoreRetryDelay = TimeSpan.FromSeconds(15);

    /// <summary>Re-reads of a job after an optimistic-concurrency conflict (another writer changed it) before giving up for now.</summary>
    public const int ConflictRetries = 10;
}
