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
}
