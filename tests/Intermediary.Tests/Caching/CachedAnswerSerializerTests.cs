using System.Buffers;
using System.Text.Json;
using Intermediary.Caching;
using Intermediary.Envelopes;

namespace Intermediary.Tests.Caching;

public sealed class CachedAnswerSerializerTests
{
    [Fact]
    public void A_kept_answer_is_measured_as_its_envelope_and_reads_back_whole()
    {
        var envelope = new Envelope
        {
            Ok = true,
            Status = 200,
            Code = EnvelopeCode.Ok,
            Message = "OK",
            Attempts = 2,
            CorrelationId = "c-1",
            Data = JsonElement.Parse("""[{"id":"1","name":"Café"}]"""),
            Upstream = new UpstreamDetails(200, "application/json", null, null, "req-7"),
        };
        var answer = new CachedAnswer(envelope, new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.FromHours(1)), TimeSpan.FromSeconds(7.5), 42);
        var serializer = new CachedAnswerSerializer();
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(answer, buffer);
        var back = serializer.Deserialize(new ReadOnlySequence<byte>(buffer.WrittenMemory));

        Assert.Equal(JsonSerializer.SerializeToUtf8Bytes(envelope, EnvelopeJson.Envelope).Length + 24, buffer.WrittenCount);
        Assert.Equal(answer.FetchedAt, back.FetchedAt);
        Assert.Equal(answer.FreshFor, back.FreshFor);
        Assert.Equal(42, back.Version);
        Assert.Equal(JsonSerializer.Serialize(envelope, EnvelopeJson.Envelope), JsonSerializer.Serialize(back.Envelope, EnvelopeJson.Envelope));
    }

    [Fact]
    public void A_kept_answer_reads_back_from_a_buffer_in_several_segments()
    {
        var answer = new CachedAnswer(Envelope.Failure(EnvelopeCode.NotFound, "Item '7' was not found."), DateTimeOffset.UnixEpoch.AddDays(3), TimeSpan.FromSeconds(3), 9);
        var buffer = new ArrayBufferWriter<byte>();
        new CachedAnswerSerializer().Serialize(answer, buffer);

        // Split inside the header and inside the JSON, as a pooled buffer may hand it over.
        var bytes = buffer.WrittenMemory;
        var first = new Segment(bytes[..5]);
        var last = first.Append(bytes[5..40]).Append(bytes[40..]);
        var back = new CachedAnswerSerializer().Deserialize(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));

        Assert.Equal(answer.FetchedAt, back.FetchedAt);
        Assert.Equal(9, back.Version);
        Assert.Equal("Item '7' was not found.", back.Envelope.Message);
    }

    [Fact]
    public void Reading_a_kept_answer_without_an_envelope_fails_plainly()
    {
        var bytes = new byte[24].Concat("null"u8.ToArray()).ToArray();

        var error = Assert.Throws<JsonException>(() => new CachedAnswerSerializer().Deserialize(new ReadOnlySequence<byte>(bytes)));
        Assert.Contains("no envelope", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new CachedAnswerSerializer().Serialize(null!, new ArrayBufferWriter<byte>()));
        Assert.Throws<ArgumentNullException>(() => new CachedAnswerSerializer().Serialize(new CachedAnswer(Envelope.Failure(EnvelopeCode.NotFound, "m"), default, default, 1), null!));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
