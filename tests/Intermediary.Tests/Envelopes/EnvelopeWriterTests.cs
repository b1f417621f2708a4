using System.Buffers;
using System.Text;
using System.Text.Json;
using Intermediary.Envelopes;

namespace Intermediary.Tests.Envelopes;

/// <summary>
/// The field-by-field envelope writer used for responses against the serializer's own output: byte for byte, over
/// every code and source and every shape each field can take. The contract is the serializer's; the writer follows it.
/// </summary>
public sealed class EnvelopeWriterTests
{
    private static readonly DateTimeOffset s_created = new(2026, 11, 28, 9, 15, 30, 123, TimeSpan.Zero);

    public static TheoryData<string> Messages() => new()
    {
        "Done.",
        "Item '42' was not found.",
        "Quotes \" and backslashes \\ and a tab\there.",
        "Line one\nline two\r\n",
        "<script>alert(1)</script> & more",
        "Grüße, こんにちは, 🚀 and a lone \ud800 surrogate",
        "",
    };

    public static TheoryData<string?> DataShapes() => new()
    {
        null,
        """{"id":1,"name":"Widget","tags":["a","b"],"nested":{"ok":true,"n":null}}""",
        """[1, 2.5, -3e2, "x", false, null]""",
        "\"a string\"",
        "42",
        "null",
        """{ "spaced" :  [ 1 , 2 ] , "escaped": "caf\u00e9 \"q\"" }""",
    };

    [Fact]
    public void Every_code_and_source_is_written_as_the_serializer_writes_it()
    {
        foreach (var code in Enum.GetValues<EnvelopeCode>())
        {
            foreach (var source in Enum.GetValues<EnvelopeSource>().Select(s => (EnvelopeSource?)s).Append(null))
            {
                AssertSame(Envelope.Failure(code, "Something happened.") with { Source = source });
            }
        }
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Messages_and_ids_are_escaped_as_the_serializer_escapes_them(string text)
    {
        AssertSame(Envelope.Failure(EnvelopeCode.UpstreamError, text) with
        {
            CorrelationId = text,
            Upstream = new UpstreamDetails(502, "text/html", text, text, text),
        });
    }

    [Theory]
    [MemberData(nameof(DataShapes))]
    public void Data_of_every_shape_is_written_as_the_serializer_writes_it(string? json)
    {
        AssertSame(new Envelope
        {
            Ok = true,
            Status = 200,
            Code = EnvelopeCode.Ok,
            Message = "OK",
            Source = EnvelopeSource.Backend,
            Attempts = 2,
            DurationMs = 1234567890123,
            CorrelationId = "abc",
            Data = json is null ? null : JsonElement.Parse(json),
        });
    }

    [Theory]
    [MemberData(nameof(DataShapes))]
    public void Data_kept_as_the_bytes_it_arrived_in_is_written_as_the_serializer_writes_it(string? json)
    {
        // The upstream's own whitespace around the value stays out, as it does for a parsed element.
        var raw = json is null ? null : RawJson.TryRead(Encoding.UTF8.GetBytes(" \r\n\t" + json + "\n  "));
        var envelope = Envelope.Failure(EnvelopeCode.NotFound, "Gone.") with { RawData = raw };
        var buffer = new ArrayBufferWriter<byte>();
        EnvelopeJson.Write(buffer, envelope);

        var parsed = JsonSerializer.Serialize(envelope with { Data = json is null ? null : JsonElement.Parse(json) }, EnvelopeJson.Envelope);
        Assert.Equal(parsed, Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(parsed, JsonSerializer.Serialize(envelope, EnvelopeJson.Envelope));
    }

    [Fact]
    public void Optional_fields_set_and_unset_are_written_as_the_serializer_writes_them()
    {
        var full = new Envelope
        {
            Ok = false,
            Status = 429,
            Code = EnvelopeCode.RateLimited,
            Message = "Slow down.",
            Source = EnvelopeSource.Gateway,
            Retryable = true,
            RetryAfterSeconds = 7,
            Attempts = int.MaxValue,
            DurationMs = -1,
            CorrelationId = "order-42",
            Upstream = new UpstreamDetails(429, "application/json", "RateLimited", "Rate limit is exceeded.", "req-1"),
            Job = new JobDetails("j1", "running", "https://example.invalid/api/jobs/j1", s_created, s_created.AddSeconds(1), null, s_created.AddHours(24)),
            Cache = new CacheDetails(Hit: true, Coalesced: false, Stale: true, AgeSeconds: 301),
        };

        AssertSame(full);
        AssertSame(full with { RetryAfterSeconds = null, Upstream = new UpstreamDetails(null, null, null, null, null) });
        AssertSame(full with { Job = new JobDetails(null, null, null, null, null, null, null), Retryable = false });
        AssertSame(full with { Job = full.Job! with { CreatedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(5.5)) } });
        AssertSame(full with { Cache = new CacheDetails(Hit: false, Coalesced: true, Stale: false, AgeSeconds: 0) });
        AssertSame(full with { Cache = null });
    }

    [Fact]
    public void An_undeclared_code_value_is_written_as_the_serializer_writes_it()
    {
        AssertSame(Envelope.Failure((EnvelopeCode)999, "Cast from a number.") with { Source = (EnvelopeSource)77 });
    }

    private static void AssertSame(Envelope envelope)
    {
        var expected = JsonSerializer.Serialize(envelope, EnvelopeJson.Envelope);
        var buffer = new ArrayBufferWriter<byte>();
        EnvelopeJson.Write(buffer, envelope);

        Assert.Equal(expected, Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
