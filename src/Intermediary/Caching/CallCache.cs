using Intermediary.Configuration;
using Intermediary.Diagnostics;
using Intermediary.Envelopes;
using Intermediary.Upstream;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Caching;

/// <summary>
/// Stands between a synchronous call and its upstream for the paths an upstream's <c>Cache</c> names: identical
/// concurrent calls share one upstream request, successful answers are kept for their time to live, and a kept answer
/// stands in (marked stale) when the upstream fails. HybridCache does the storing and the stampede protection in this
/// instance's memory only, in a memory cache of its own (so its size limit binds no one else's entries, and an
/// <c>IDistributedCache</c> registered by the host is never used: answers kept per caller never leave the process).
/// Jobs do not come through here: a job is a request someone wants carried out, not a read to share.
/// </summary>
internal sealed partial class CallCache : IDisposable
{
    // Reads and coalesces, never stores: an answer is stored by the fetch itself, and only when it may be kept.
    private static readonly HybridCacheEntryOptions s_lookup = new()
    {
        Flags = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCache,
    };

    // A refresh of a stale answer: coalesced under its own key, never stored there.
    private static readonly HybridCacheEntryOptions s_refresh = new()
    {
        Flags = HybridCacheEntryFlags.DisableLocalCache | HybridCacheEntryFlags.DisableDistributedCache,
    };

    private readonly IOptions<IntermediaryOptions> _options;
    private readonly UpstreamClient _client;
    private readonly TimeProvider _time;
    private readonly IntermediaryMetrics _metrics;
    private readonly ILogger<CallCache> _logger;
    private readonly ServiceProvider _store;
    private readonly HybridCache _cache;
    private long _version;

    public CallCache(IOptions<IntermediaryOptions> options, UpstreamClient client, TimeProvider time, IntermediaryMetrics metrics, ILoggerFactory loggerFactory)
    {
        _options = options;
        _client = client;
        _time = time;
        _metrics = metrics;
        _logger = loggerFactory.CreateLogger<CallCache>();
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddMemoryCache(memory => memory.SizeLimit = options.Value.ResponseCacheBytes);
        services.AddHybridCache(hybrid =>
        {
            // Our own limit (MaxEntryBytes) decides what is kept; this only keeps HybridCache from logging errors about it.
            hybrid.MaximumPayloadBytes = (int)Math.Min(int.MaxValue, options.Value.ResponseCacheBytes);
            hybrid.DefaultEntryOptions = new HybridCacheEntryOptions { Flags = HybridCacheEntryFlags.DisableDistributedCache };
        }).AddSerializer<CachedAnswer, CachedAnswerSerializer>();
        _store = services.BuildServiceProvider();
        _cache = _store.GetRequiredService<HybridCache>();
    }

    /// <summary>
    /// The envelope for <paramref name="request"/>, through the cache when its upstream caches the path (then
    /// <see cref="Envelope.Cache"/> says how it was answered), otherwise straight from the upstream.
    /// <paramref name="callerKey"/> partitions answers when the upstream's answers vary by caller.
    /// </summary>
    public async Task<Envelope> SendAsync(UpstreamRequest request, string? callerKey, CancellationToken cancellationToken)
    {
        var settings = _options.Value.Upstreams[request.Upstream].Cache;
        if (!CacheRules.Applies(request, settings, callerKey))
        {
            return (await _client.SendAsync(request, budget: null, cancellationToken)).Envelope;
        }

        // A call made on behalf of a user carries that user's identity upstream: its answer is that user's alone.
        var partition = request.User is { } user ? $"user|{user.TenantId}|{user.ObjectId}" : settings.VaryByCaller ? callerKey : null;
        var key = CacheKey.For(request, partition);
        var flight = new Flight(this, request, settings, key, key);
        var asked = Interlocked.Read(ref _version);
        var answer = await _cache.GetOrCreateAsync(flight.Key, flight, static (f, shared) => f.Owner.FetchAsync(f, shared), s_lookup,
            cancellationToken: cancellationToken);
        if (flight.RanFactory || answer.Version > asked)
        {
            // This call's own request, or one that was in flight (or finished) while it waited: fresh either way.
            return Answer(request, answer.Envelope, flight.RanFactory ? CacheOutcome.Miss : CacheOutcome.Coalesced, TimeSpan.Zero);
        }

        var age = _time.GetUtcNow() - answer.FetchedAt;
        if (age <= answer.FreshFor)
        {
            return Answer(request, answer.Envelope with { Attempts = 0, DurationMs = 0 }, CacheOutcome.Hit, age);
        }

        // Kept past its time to live: ask again (one request for everyone who finds it stale), and stand in if that fails.
        var refresh = flight with { Key = $"{key}|refresh|{answer.Version}", RanFactory = false };
        var refreshed = await _cache.GetOrCreateAsync(refresh.Key, refresh, static (f, shared) => f.Owner.FetchAsync(f, shared), s_refresh,
            cancellationToken: cancellationToken);
        var outcome = refresh.RanFactory ? CacheOutcome.Miss : CacheOutcome.Coalesced;
        if (CacheRules.MayServeStale(refreshed.Envelope) && age <= answer.FreshFor + settings.StaleIfError)
        {
            LogServedStale(_logger, request.Upstream, request.Path, (int)age.TotalSeconds, refreshed.Envelope.Code);
            return Answer(request, StandIn(answer.Envelope, refreshed.Envelope, age), CacheOutcome.Stale, age, outcome == CacheOutcome.Coalesced);
        }

        return Answer(request, refreshed.Envelope, outcome, TimeSpan.Zero);
    }

    public void Dispose() => _store.Dispose();

    private async ValueTask<CachedAnswer> FetchAsync(Flight flight, CancellationToken shared)
    {
        // The token is HybridCache's shared one: canceled only when every caller waiting for this fetch has gone.
        flight.RanFactory = true;
        var result = await _client.SendAsync(flight.Request, budget: null, shared);
        var freshFor = CacheRules.FreshFor(flight.Request, result, flight.Settings);
        var answer = new CachedAnswer(result.Envelope, _time.GetUtcNow(), freshFor ?? TimeSpan.Zero, Interlocked.Increment(ref _version));
        if (freshFor is { } fresh)
        {
            var keep = fresh + flight.Settings.StaleIfError;
            await _cache.SetAsync(flight.StoreKey, answer, new HybridCacheEntryOptions
            {
                Expiration = keep,
                LocalCacheExpiration = keep,
                Flags = HybridCacheEntryFlags.DisableDistributedCache,
            }, cancellationToken: CancellationToken.None);
        }

        return answer;
    }

    private Envelope Answer(UpstreamRequest request, Envelope envelope, CacheOutcome outcome, TimeSpan age, bool coalesced = false)
    {
        _metrics.CacheAnswered(request.Upstream, outcome);
        var details = new CacheDetails(
            Hit: outcome is CacheOutcome.Hit or CacheOutcome.Stale,
            Coalesced: outcome == CacheOutcome.Coalesced || coalesced,
            Stale: outcome == CacheOutcome.Stale,
            AgeSeconds: (int)Math.Max(0, Math.Floor(age.TotalSeconds)));
        return envelope with { Cache = details, CorrelationId = request.CorrelationId };
    }

    /// <summary>The kept answer, saying it stands in for the failure (whose attempts and time it reports).</summary>
    private static Envelope StandIn(Envelope kept, Envelope failure, TimeSpan age) => kept with
    {
        Message = $"The upstream could not answer ({failure.Code}: {failure.Message}); this is its answer from {(int)age.TotalSeconds} s ago.",
        Attempts = failure.Attempts,
        DurationMs = failure.DurationMs,
    };

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information,
        Message = "Upstream {Upstream} {Path} failed with {Code}; served its answer from {AgeSeconds} s ago instead")]
    private static partial void LogServedStale(ILogger logger, string upstream, string path, int ageSeconds, EnvelopeCode code);

    /// <summary>
    /// One caller's lookup under <paramref name="Key"/> (the answer's key, or a refresh's); what it fetches is stored under
    /// <paramref name="StoreKey"/>. Only the caller whose state HybridCache hands to the fetch sees <see cref="RanFactory"/> set.
    /// </summary>
    private sealed record Flight(CallCache Owner, UpstreamRequest Request, CacheOptions Settings, string Key, string StoreKey)
    {
        public bool RanFactory { get; set; }
    }
}

/// <summary>How the cache answered a call, as counted by <c>intermediary.cache.answers</c>.</summary>
internal enum CacheOutcome
{
    Miss,
    Hit,
    Coalesced,
    Stale,
}
