using System.Text;
using Intermediary.Upstream;

namespace Intermediary.Tests.Upstream;

/// <summary>What kind of body the upstream sent, and the text a maker is shown from it.</summary>
public sealed class ResponseBodyTests
{
    [Theory]
    [InlineData("application/json", """{"a":1}""")]
    [InlineData("application/json; charset=utf-8", """{"a":1}""")]
    [InlineData(" Application/JSON ", """[1,2]""")]
    [InlineData("application/problem+json", """{"title":"t"}""")]
    [InlineData("application/vnd.contoso.order+JSON;v=2", """{"id":7}""")]
    [InlineData("text/json", "\"text\"")]
    [InlineData(null, """{"a":1}""")]
    [InlineData("", """[1]""")]
    [InlineData(null, " \t\r\n{\"a\":1}")]
    [InlineData(null, "\uFEFF{\"a\":1}")]
    [InlineData("application/json; charset=utf-8", "\uFEFF{\"a\":1}")]
    public void Json_is_recognised_by_its_media_type_or_without_one_by_its_first_character(string? contentType, string body)
    {
        var parsed = Parse(contentType, body);

        Assert.Equal(BodyKind.Json, parsed.Kind);
        Assert.NotNull(parsed.Json);
        Assert.Null(parsed.Text);
    }

    [Theory]
    [InlineData("text/plain", """{"looks":"like json"}""")]
    [InlineData("text/csv", "[1,2]")]
    [InlineData(null, "x{\"a\":1}")]
    [InlineData(null, "plain words")]
    public void Json_looking_text_with_another_media_type_or_another_first_character_stays_text(string? contentType, string body) =>
        Assert.Equal(new ResponseBody(BodyKind.Text, null, body), Parse(contentType, body));

    [Fact]
    public void Invalid_json_keeps_an_excerpt_of_what_came() =>
        Assert.Equal(new ResponseBody(BodyKind.InvalidJson, null, "{\"a\": truncated"), Parse("application/json", "{\"a\":\n  truncated"));

    [Theory]
    [InlineData("text/html", "<p>Down for maintenance</p>")]
    [InlineData("TEXT/HTML; charset=utf-8", "<p>Down for maintenance</p>")]
    [InlineData("application/xhtml+xml", "<p>Down for maintenance</p>")]
    [InlineData(null, "<html><p>Down for maintenance</p></html>")]
    [InlineData(null, "<!DOCTYPE HTML><p>Down for maintenance</p>")]
    [InlineData(null, "<body><p>Down for maintenance</p></body>")]
    [InlineData(null, "<head></head><p>Down for maintenance</p>")]
    [InlineData("text/plain", "<html><p>Down for maintenance</p></html>")]
    public void Html_is_recognised_by_its_media_type_or_by_its_markup(string? contentType, string body) =>
        Assert.Equal(new ResponseBody(BodyKind.Html, null, "Down for maintenance"), Parse(contentType, body));

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    public void Markup_that_is_not_html_is_text(string? contentType)
    {
        const string Xml = "<order><id>7</id></order>";

        Assert.Equal(new ResponseBody(BodyKind.Text, null, Xml), Parse(contentType, Xml));
    }

    [Fact]
    public void Html_markers_are_looked_for_in_the_first_512_bytes_only()
    {
        var late = "<p>" + new string('x', 509) + "<html>";
        var early = "<p>" + new string('x', 502) + "<html>";

        Assert.Equal(BodyKind.Text, Parse(null, late).Kind);
        Assert.Equal(BodyKind.Html, Parse(null, early).Kind);
    }

    [Theory]
    [InlineData("application/xml")]
    [InlineData("text/plain")]
    [InlineData(null)]
    public void Text_and_xml_are_text_when_they_are_valid_utf8(string? contentType) =>
        Assert.Equal(new ResponseBody(BodyKind.Text, null, "<ok/> café"), Parse(contentType, "<ok/> café"));

    [Theory]
    [InlineData("text/plain")]
    [InlineData(null)]
    public void Text_that_is_not_valid_utf8_is_binary(string? contentType) =>
        Assert.Equal(new ResponseBody(BodyKind.Binary, null, null), ResponseBody.Parse(contentType, new byte[] { (byte)'o', (byte)'k', 0xC3, 0x28 }));

    [Theory]
    [InlineData("image/png")]
    [InlineData("application/octet-stream")]
    public void Other_media_types_are_binary_whatever_they_hold(string contentType) =>
        Assert.Equal(new ResponseBody(BodyKind.Binary, null, null), Parse(contentType, "readable, but not declared as text"));

    [Fact]
    public void No_bytes_is_empty_whatever_the_media_type_says() =>
        Assert.Equal(new ResponseBody(BodyKind.Empty, null, null), ResponseBody.Parse("application/json", ReadOnlyMemory<byte>.Empty));

    [Theory]
    [InlineData("<title>Service Unavailable</title><h1>Try later</h1>", "Service Unavailable: Try later")]
    [InlineData("<title>Service Unavailable</title><h1>Service Unavailable</h1><p>Try later</p>", "Service Unavailable Try later")]
    [InlineData("<title>Shop<b>closed</b></title><p>x</p>", "Shop closed: x")]
    [InlineData("<title>Service\n   Unavailable</title><h1>Service Unavailable</h1>", "Service Unavailable")]
    [InlineData("<title></title><p>Only the body</p>", "Only the body")]
    [InlineData("<p>No title</p>", "No title")]
    public void An_html_title_leads_the_excerpt_unless_the_page_starts_with_it(string page, string excerpt) =>
        Assert.Equal(excerpt, Parse("text/html", page).Text);

    [Theory]
    [InlineData("one<script>var x = '<p>';</script>two", "one two")]
    [InlineData("one<STYLE type=\"text/css\">p { color: red }</STYLE >two", "one two")]
    [InlineData("one<noscript>enable scripts</noscript>two", "one two")]
    [InlineData("one<!-- a <b>comment</b> -->two", "one two")]
    [InlineData("one<br/>two", "one two")]
    [InlineData("x<title>T</title>y", "T: x y")]
    [InlineData("Fish &amp; chips &lt;today&gt;", "Fish & chips <today>")]
    public void Markup_scripts_styles_and_comments_are_removed_and_entities_decoded(string page, string excerpt) =>
        Assert.Equal(excerpt, Parse("text/html", page).Text);

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData(" \r\n\t ", null)]
    [InlineData("  several\r\n lines\tand   spaces  ", "several lines and spaces")]
    public void Excerpts_are_single_lines_or_nothing(string? text, string? excerpt) =>
        Assert.Equal(excerpt, ResponseBody.Excerpt(text));

    [Fact]
    public void Excerpts_are_cut_after_300_characters_with_an_ellipsis()
    {
        var exactly = new string('a', 300);
        var longer = new string('b', 299) + "  c" + new string('d', 10);

        Assert.Equal(exactly, ResponseBody.Excerpt(exactly));
        // Cut at 300 (299 b's and a space), the trailing space trimmed, then the ellipsis.
        Assert.Equal(new string('b', 299) + "…", ResponseBody.Excerpt(longer));
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    public void A_body_that_is_not_utf8_has_no_text(string contentType)
    {
        byte[] body = [(byte)'<', (byte)'p', (byte)'>', 0xC3, 0x28, (byte)'<', (byte)'/', (byte)'p', (byte)'>'];

        var parsed = ResponseBody.Parse(contentType, body);

        Assert.Null(parsed.Text);
        Assert.Null(parsed.Json);
        Assert.Equal(contentType switch { "text/html" => BodyKind.Html, "application/json" => BodyKind.InvalidJson, _ => BodyKind.Binary }, parsed.Kind);
    }

    private static ResponseBody Parse(string? contentType, string body) => ResponseBody.Parse(contentType, Encoding.UTF8.GetBytes(body));
}
