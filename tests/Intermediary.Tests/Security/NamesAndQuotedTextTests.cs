using Intermediary.Security;

namespace Intermediary.Tests.Security;

/// <summary>Upstream names as route segments, and caller text made safe to quote in messages and logs.</summary>
public sealed class NamesAndQuotedTextTests
{
    [Theory]
    [InlineData("orders")]
    [InlineData("Orders-v2_EU")]
    [InlineData("0")]
    [InlineData("_-")]
    public void Letters_digits_dashes_and_underscores_make_an_upstream_name(string name) => Assert.True(UpstreamName.IsValid(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("a/b")]
    [InlineData("a.b")]
    [InlineData("..")]
    [InlineData("bestellungen-ä")]
    [InlineData("orders\n")]
    [InlineData("%2e")]
    public void Anything_else_is_not_an_upstream_name(string? name) => Assert.False(UpstreamName.IsValid(name));

    [Fact]
    public void An_upstream_name_may_be_64_characters_and_no_more()
    {
        Assert.True(UpstreamName.IsValid(new string('a', 64)));
        Assert.False(UpstreamName.IsValid(new string('a', 65)));
    }

    [Theory]
    [InlineData(null, "(empty)")]
    [InlineData("", "(empty)")]
    [InlineData(" ~Plain text, 100% ASCII!", " ~Plain text, 100% ASCII!")]
    [InlineData("it's", "it?s")]
    [InlineData("line\r\nInjected: yes", "line??Injected: yes")]
    [InlineData("tab\there", "tab?here")]
    [InlineData("\u001f\u007f", "??")]
    [InlineData("café ✓", "caf? ?")]
    public void Quoted_text_keeps_printable_ascii_and_shows_the_rest_as_question_marks(string? text, string shown) =>
        Assert.Equal(shown, UntrustedText.Printable(text));

    [Fact]
    public void Quoted_text_is_cut_after_64_characters_with_an_ellipsis()
    {
        Assert.Equal(new string('x', 64), UntrustedText.Printable(new string('x', 64)));
        Assert.Equal(new string('x', 64) + "…", UntrustedText.Printable(new string('x', 64) + "y\n"));
    }
}
