using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace Intermediary.Bench;

/// <summary>
/// Where a process allocates, by call site: the runtime's allocation sampling (an event about every 100 KB, with the
/// type that crossed the mark) collected with its call stack over an EventPipe session, then summed per allocating
/// method, per innermost method of our own code, and per method of ours anywhere on the stack (inclusive). The
/// by-type list of the startup hook says what is allocated; this says who allocates it.
/// </summary>
internal static class AllocationStacks
{
    private const string OwnPrefix = "Intermediary.";

    /// <summary>Collects the allocation ticks of <paramref name="processId"/> while <paramref name="load"/> runs.</summary>
    public static async Task CollectAsync(int processId, string nettracePath, Func<Task> load)
    {
        var keywords = ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.Jit | ClrTraceEventParser.Keywords.Loader;
        var providers = new[] { new EventPipeProvider(ClrTraceEventParser.ProviderName, EventLevel.Verbose, (long)keywords) };
        var client = new DiagnosticsClient(processId);
        // Rundown at the end names the methods compiled before the session began.
        using var session = client.StartEventPipeSession(providers, requestRundown: true, circularBufferMB: 256);
        await using (var file = File.Create(nettracePath))
        {
            var copy = session.EventStream.CopyToAsync(file);
            await load();
            await session.StopAsync(CancellationToken.None);
            await copy;
        }
    }

    /// <summary>The tables as text: shares of the sampled bytes, the largest first.</summary>
    public static string Summarize(string nettracePath, int top = 30)
    {
        var etlx = TraceLog.CreateFromEventPipeDataFile(nettracePath);
        using var log = new TraceLog(etlx);
        var allocating = new Dictionary<string, double>(StringComparer.Ordinal);
        var ownInnermost = new Dictionary<string, double>(StringComparer.Ordinal);
        var ownInclusive = new Dictionary<string, double>(StringComparer.Ordinal);
        var byType = new Dictionary<string, Dictionary<string, double>>(StringComparer.Ordinal);
        var byComponent = new Dictionary<string, double>(StringComparer.Ordinal);
        var total = 0.0;
        var samples = 0;
        foreach (var traceEvent in log.Events)
        {
            // TraceEvents only enumerates generically: OfType<T>() would ask for the non-generic enumerator it lacks.
            if (traceEvent is not GCAllocationTickTraceData tick)
            {
                continue;
            }

            samples++;
            var bytes = (double)tick.AllocationAmount64;
            total += bytes;
            var frames = Frames(tick.CallStack()).ToList();
            var type = tick.TypeName;
            // The allocating method and its two callers: an async method's callers are often not on the stack (it
            // was resumed by the thread pool), so the chain stops at its MoveNext.
            var chain = string.Join("  <-  ", frames.Take(3).Select(Short));
            Add(allocating, $"{chain}  [{type}]", bytes);
            if (!byType.TryGetValue(type, out var sites))
            {
                byType[type] = sites = new Dictionary<string, double>(StringComparer.Ordinal);
            }

            // Deeper for a type: who asked for the string or array, not only the helper that made it.
            Add(sites, string.Join("  <-  ", frames.Take(5).Select(Short)), bytes);
            Add(byComponent, Components.Of(frames, "!") ?? "other (runtime only on the stack)", bytes);
            var own = frames.FirstOrDefault(IsOwn);
            Add(ownInnermost, own is null ? "(no frame of ours on the stack)" : $"{Short(own)}  [{type}]", bytes);
            foreach (var method in frames.Where(IsOwn).Distinct(StringComparer.Ordinal))
            {
                Add(ownInclusive, Short(method), bytes);
            }
        }

        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{samples} allocation samples, {total / 1024 / 1024:0} MiB sampled");
        Table(text, "Component (the innermost frame that belongs to one; runtime helpers are skipped)", byComponent, total, top);
        Table(text, "Allocating method (innermost managed frame) [type]", allocating, total, top);
        Table(text, "Innermost method of ours on the stack [type]", ownInnermost, total, top);
        Table(text, "Methods of ours anywhere on the stack (inclusive)", ownInclusive, total, top);
        foreach (var (type, sites) in byType.OrderByDescending(p => p.Value.Values.Sum()).Take(3))
        {
            Table(text, $"{type}: {100 * sites.Values.Sum() / Math.Max(1, total):0.0} % of the bytes, by call site", sites, total, top / 2);
        }

        return text.ToString();
    }

    private static IEnumerable<string> Frames(TraceCallStack? stack)
    {
        for (; stack is not null; stack = stack.Caller)
        {
            var method = stack.CodeAddress.FullMethodName;
            if (!string.IsNullOrEmpty(method))
            {
                yield return $"{stack.CodeAddress.ModuleName}!{method}";
            }
        }
    }

    private static bool IsOwn(string frame) =>
        frame.Contains("!" + OwnPrefix, StringComparison.Ordinal) && !frame.Contains("!" + OwnPrefix + "Bench", StringComparison.Ordinal);

    /// <summary>The method without its module and parameter list, generic arguments cut short.</summary>
    private static string Short(string frame)
    {
        var method = frame[(frame.IndexOf('!', StringComparison.Ordinal) + 1)..];
        var arguments = method.IndexOf('(', StringComparison.Ordinal);
        method = arguments > 0 ? method[..arguments] : method;
        return method.Length > 140 ? method[..140] + "…" : method;
    }

    private static void Add(Dictionary<string, double> sums, string key, double bytes) =>
        sums[key] = sums.GetValueOrDefault(key) + bytes;

    private static void Table(StringBuilder text, string title, Dictionary<string, double> sums, double total, int top)
    {
        text.AppendLine().AppendLine(title);
        foreach (var (key, bytes) in sums.OrderByDescending(p => p.Value).Take(top))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{100 * bytes / Math.Max(1, total),5:0.0} %  {key}");
        }
    }
}
