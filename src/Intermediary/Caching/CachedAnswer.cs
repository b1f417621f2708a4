using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Text.Json;
using Intermediary.Envelopes;
using Microsoft.Extensions.Caching.Hybrid;

namespace Intermediary.Caching;

/// <summary>
/// An upstream call's envelope as the cache holds it and as concurrent callers share it. Immutable (the envelope's data
/// is parsed JSON no one writes to), so HybridCache hands out the same instance on every hit instead of a copy.
/// <paramref name="Version"/> orders answers, so a caller can tell one produced while it waited from one kept before.
/// </summary>
[ImmutableObject(true)]
internal sealed record CachedAnswer(Envelope Envelope, DateTimeOffset FetchedAt, TimeSpan FreshFor, long Version);

/// <summary>
/// How HybridCache measures (and could copy) a kept answer: three numbers and the envelope's JSON, so an entry's
/// size against <c>ResponseCacheBytes</c> is what the answer really holds.
/// </summary>
internal sealed class CachedAnswerSerializer : IHybridCacheSerializer<CachedAnswer>
{
    private const int HeaderBytes = 3 * sizeof(long);

    public CachedAnswer Deserialize(ReadOnlySequence<byte> source)
    {
        var bytes = source.IsSingleSegment ? source.FirstSpan : source.ToArray();
        var fetchedAt = new DateTimeOffset(BinaryPrimitives.ReadInt64LittleEndian(bytes), TimeSpan.Zero);
        var freshFor = TimeSpan.FromTicks(BinaryPrimitives.ReadInt64LittleEndian(bytes[sizeof(long)..]));
        var version = BinaryPrimitives.ReadInt64LittleEndian(bytes[(2 * sizeof(long))..]);
        var envelope = JsonSerializer.Deserialize(bytes[HeaderBytes..], EnvelopeJson.Envelope)
            ?? throw new JsonException("A kept answer held no envelope.");
        return new CachedAnswer(envelope, fetchedAt, freshFor, version);
    }

    public void Serialize(CachedAnswer value, IBufferWriter<byte> target)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(target);
        var header = target.GetSpan(HeaderBytes);
        BinaryPrimitives.WriteInt64LittleEndian(header, value.FetchedAt.UtcTicks);
        BinaryPrimitives.WriteInt64LittleEndian(header[sizeof(long)..], value.FreshFor.Ticks);
        BinaryPrimitives.WriteInt64LittleEndian(header[(2 * sizeof(long))..], value.Version);
        target.Advance(HeaderBytes);
        EnvelopeJson.Write(target, value.Envelope);
    }
}
