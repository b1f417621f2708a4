using System.Text.Json;
using Intermediary.Envelopes;

namespace Intermediary.Tests.Envelopes;

public sealed class EnvelopeSerializationTests
{
    private static readonly string[] s_contractFields =
    [
        "ok", "status", "code", "message", "source", "retryable", "retryAfterSeconds", "attempts", "durationMs",
        "correlationId", "data", "upstream", "job", "cache",
    ];

    [Fact]
    public void Every_contract_field_is_written_even_when_null()
    {
        var json = Serialize(Envelope.Failure(EnvelopeCode.NotFound, "nothing here"));

        var names = json.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(s_contractFields, names);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("data").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("upstream").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("retryAfterSeconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("cache").ValueKind);
    }

    [Fact]
    public void Data_is_written_as_the_upstream_sent_it_and_reads_back_the_same()
    {
        // Pretty-printed, with an escaped and an unescaped non-ASCII character: the text goes through as is.
        const string upstream = "{\n  \"name\": \"caf\u00e9 caf\\u00e9\",\n  \"tags\": [ 1, 2.50 ]\n}";
        var envelope = new Envelope { Ok = true, Status = 200, Code = EnvelopeCode.Ok, Message = "OK", Data = JsonElement.Parse(upstream) };

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        EnvelopeJson.Write(buffer, envelope);
        var written = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        var viaSerializer = JsonSerializer.Serialize(envelope, EnvelopeJson.Envelope);

        Assert.Contains("\"data\":" + upstream + ",", written, StringComparison.Ordinal);
        Assert.Equal(viaSerializer, written);
        var back = JsonSerializer.Deserialize(written, EnvelopeJson.Envelope)!;
        Assert.Equal("café café", back.Data!.Value.GetProperty("name").GetString());
        Assert.Equal(2.5m, back.Data.Value.GetProperty("tags")[1].GetDecimal());
    }

    [Fact]
    public void Codes_are_pascal_case_strings_and_sources_lower_case()
    {
        var json = Serialize(Envelope.Failure(EnvelopeCode.SubscriptionKeyInvalid, "key", EnvelopeSource.Gateway));

        Assert.Equal("SubscriptionKeyInvalid", json.GetProperty("code").GetString());
        Assert.Equal("gateway", json.GetProperty("source").GetString());
    }

    [Fact]
    public void Upstream_job_and_cache_objects_have_all_their_fields()
    {
        var envelope = Envelope.Failure(EnvelopeCode.UpstreamError, "x") with
        {
            Upstream = new UpstreamDetails(500, null, null, null, null),
            Job = new JobDetails(null, null, null, null, null, null, null),
            Cache = new CacheDetails(true, false, true, 42),
        };

        var json = Serialize(envelope);

        Assert.Equal(["status", "contentType", "code", "message", "requestId"], json.GetProperty("upstream").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["id", "status", "statusUrl", "createdAt", "updatedAt", "completedAt", "expiresAt"], json.GetProperty("job").EnumerateObject().Select(p => p.Name));
        Assert.Equal("""{"hit":true,"coalesced":false,"stale":true,"ageSeconds":42}""", json.GetProperty("cache").GetRawText());
    }

    [Theory]
    [InlineData(EnvelopeCode.RateLimited, 429)]
    [InlineData(EnvelopeCode.PathNotAllowed, 403)]
    [InlineData(EnvelopeCode.Unauthenticated, 401)]
    [InlineData(EnvelopeCode.TokenAcquisitionFailed, 502)]
    [InlineData(EnvelopeCode.Timeout, 504)]
    [InlineData(EnvelopeCode.PayloadTooLarge, 413)]
    [InlineData(EnvelopeCode.InternalError, 500)]
    public void Service_decided_failures_carry_their_http_status(EnvelopeCode code, int status)
    {
        Assert.Equal(status, Envelope.Failure(code, "m").Status);
    }

    private static JsonElement Serialize(Envelope envelope) =>
        JsonSerializer.SerializeToElement(envelope, EnvelopeJsonContext.Default.Envelope);
}
