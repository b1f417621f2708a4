using System.Diagnostics;
using System.Diagnostics.Metrics;
using Intermediary.Envelopes;

namespace Intermediary.Diagnostics;

/// <summary>Names to subscribe to: <c>AddSource</c>/<c>AddMeter</c> in OpenTelemetry, or <c>dotnet-counters</c>.</summary>
public static class IntermediaryDiagnostics
{
    /// <summary>Both the activity source and the meter are named this.</summary>
    public const string Name = "Intermediary";

    /// <summary>
    /// Polly's meter: retries, timeouts and circuit-breaker transitions of the upstream pipelines
    /// (<c>resilience.polly.strategy.events</c>, <c>pipeline.name</c> "Intermediary.Upstream").
    /// </summary>
    public const string ResilienceMeter = "Polly";

    internal static readonly ActivitySource ActivitySource = new(Name);
}

/// <summary>
/// The service's own metrics: what calls ended as, how many attempts they took, where tokens came from, how jobs
/// ended. Created from <see cref="IMeterFactory"/> so each host (and test) has its own meter.
/// </summary>
internal sealed class IntermediaryMetrics
{
    private readonly Counter<long> _calls;
    private readonly Histogram<int> _attempts;
    private readonly Histogram<double> _callDuration;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _jobs;
    private readonly Histogram<double> _jobDuration;
    private readonly Counter<long> _redactions;
    private readonly Counter<long> _cacheAnswers;

    public IntermediaryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(IntermediaryDiagnostics.Name);
        _calls = meter.CreateCounter<long>("intermediary.upstream.calls", description: "Upstream calls, by upstream and envelope code.");
        _attempts = meter.CreateHistogram<int>("intermediary.upstream.attempts", description: "Attempts one upstream call took.");
        _callDuration = meter.CreateHistogram<double>("intermediary.upstream.duration", unit: "ms", description: "Duration of upstream calls including retries.");
        _tokens = meter.CreateCounter<long>("intermediary.tokens.acquisitions", description: "Token lookups that reached MSAL or Azure.Identity (a token held for reuse is not one), by source: cache, identity_provider or failed.");
        _jobs = meter.CreateCounter<long>("intermediary.jobs.completed", description: "Jobs that reached a terminal status.");
        _jobDuration = meter.CreateHistogram<double>("intermediary.jobs.duration", unit: "ms", description: "Time from a job's creation to its completion.");
        _cacheAnswers = meter.CreateCounter<long>("intermediary.cache.answers", description: "Calls answered through the response cache, by upstream and outcome: miss, hit, coalesced or stale.");
        _redactions = meter.CreateCounter<long>("intermediary.credentials.redacted", description: "The service's own credentials removed from upstream responses that echoed them, by upstream.");
    }

    public void CallCompleted(string upstream, Envelope envelope)
    {
        var upstreamTag = new KeyValuePair<string, object?>("upstream", upstream);
        _calls.Add(1, upstreamTag, new("code", envelope.Code.ToString()));
        _attempts.Record(envelope.Attempts, upstreamTag);
        _callDuration.Record(envelope.DurationMs, upstreamTag, new("code", envelope.Code.ToString()));
    }

    public void TokenAcquired(string upstream, string source) =>
        _tokens.Add(1, new KeyValuePair<string, object?>("upstream", upstream), new("source", source));

    public void CredentialsRedacted(string upstream, int count) =>
        _redactions.Add(count, new KeyValuePair<string, object?>("upstream", upstream));

    public void CacheAnswered(string upstream, Caching.CacheOutcome outcome) =>
        _cacheAnswers.Add(1, new KeyValuePair<string, object?>("upstream", upstream), new("outcome", outcome switch
        {
            Caching.CacheOutcome.Hit => "hit",
            Caching.CacheOutcome.Coalesced => "coalesced",
            Caching.CacheOutcome.Stale => "stale",
            _ => "miss",
        }));

    public void JobCompleted(string status, EnvelopeCode code, TimeSpan sinceCreated)
    {
        _jobs.Add(1, new KeyValuePair<string, object?>("status", status), new("code", code.ToString()));
        _jobDuration.Record(sinceCreated.TotalMilliseconds, new KeyValuePair<string, object?>("status", status));
    }
}
