using System.Text;
using System.Text.Json;
using Intermediary.Envelopes;

namespace Intermediary.Tests.Envelopes;

/// <summary>
/// The envelope's data kept as checked bytes: accepted exactly when the document parser accepts, the value's own bytes
/// kept (no surrounding whitespace), parsed only when read, and replaced when the element is set instead.
/// </summary>
public sealed class RawJsonTests
{
    public static TheoryData<string> Inputs() => new()
    {
        // valid
        """{"id":1,"tags":["a","b"],"nested":{"ok":true,"n":null}}""",
        "  [1, 2.5, -3e2, \"x\", false, null]\r\n",
        "\"just a string\"",
        "0",
        "-0.5e-3",
        "true",
        "null",
        "{}",
        "[]",
        "\"caf\\u00e9 \\\"quoted\\\" \\ud83d\\ude80\"",
        new string('[', 64) + new string(']', 64),
        // invalid
        "",
        "   \n\t ",
        "{",
        "{\"a\":1",
        "{\"a\":1}}",
        "{\"a\":1} {\"b\":2}",
        "[1,2,]",
        "{\"a\":1,}",
        "{'a':1}",
        "{a:1}",
        "[1] // trailing comment",
        "/* leading */ [1]",
        "01",
        "1.",
        "+1",
        "NaN",
        "tru",
        "\"unterminated",
        "\"bad escape \\x\"",
        "\"raw\tcontrol\"",
        "[1]x",
        "42 43",
        new string('[', 65) + new string(']', 65),
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Accepts_exactly_what_the_document_parser_accepts(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        bool parses;
        try
        {
            JsonElement.Parse(utf8);
            parses = true;
        }
        catch (JsonException)
        {
            parses = false;
        }

        var raw = RawJson.TryRead(utf8);

        Assert.Equal(parses, raw is not null);
        if (raw is not null)
        {
            Assert.Equal(text.Trim(' ', '\t', '\r', '\n'), Encoding.UTF8.GetString(raw.Utf8.Span));
            Assert.Equal(JsonElement.Parse(utf8).GetRawText(), raw.Element.GetRawText());
        }
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_judged_as_the_document_parser_judges_it()
    {
        byte[] utf8 = [(byte)'"', 0xC3, 0x28, (byte)'"'];
        var parses = true;
        try
        {
            JsonElement.Parse(utf8);
        }
        catch (JsonException)
        {
            parses = false;
        }

        Assert.Equal(parses, RawJson.TryRead(utf8) is not null);
    }

    [Fact]
    public void The_kept_bytes_are_a_slice_of_the_body_not_a_copy()
    {
        var body = Encoding.UTF8.GetBytes("\n  {\"a\":[1,2]}  \n");

        var raw = RawJson.TryRead(body)!;

        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(raw.Utf8, out var segment));
        Assert.Same(body, segment.Array);
        Assert.Equal(3, segment.Offset);
        Assert.Equal(11, segment.Count);
    }

    [Fact]
    public void The_element_is_parsed_on_first_read_and_kept()
    {
        var raw = RawJson.TryRead(Encoding.UTF8.GetBytes("""{"name":"pen","tags":["a","b","c"]}"""))!;

        var first = raw.Element;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = raw.Element;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("pen", first.GetProperty("name").GetString());
        Assert.True(JsonElement.DeepEquals(first, second));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Envelope_data_reads_the_bytes_and_setting_one_form_replaces_the_other()
    {
        var raw = RawJson.TryRead(Encoding.UTF8.GetBytes("""{"from":"bytes"}"""))!;
        var envelope = new Envelope { Ok = true, Status = 200, Code = EnvelopeCode.Ok, Message = "OK", RawData = raw };

        Assert.Equal("bytes", envelope.Data!.Value.GetProperty("from").GetString());

        var replaced = envelope with { Data = JsonElement.Parse("""{"from":"element"}""") };
        Assert.Null(replaced.RawData);
        Assert.Equal("""{"from":"element"}""", Serialize(replaced)["data"]);

        var cleared = envelope with { Data = null };
        Assert.Null(cleared.Data);
        Assert.Equal("null", Serialize(cleared)["data"]);

        var back = replaced with { RawData = raw };
        Assert.Equal("bytes", back.Data!.Value.GetProperty("from").GetString());
        Assert.Equal("""{"from":"bytes"}""", Serialize(back)["data"]);
    }

    private static Dictionary<string, string> Serialize(Envelope envelope)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        EnvelopeJson.Write(buffer, envelope);
        return JsonElement.Parse(buffer.WrittenSpan).EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
    }
}
