using Intermediary.Security;

namespace Intermediary.Tests.Security;

public sealed class HeaderRulesTests
{
    [Theory]
    [InlineData("Accept")]
    [InlineData("x-ms-client-request-id")]
    [InlineData("!#$%&'*+-.^_`|~09azAZ")]
    public void Rfc9110_tokens_are_valid_header_names(string name) => Assert.True(HeaderRules.IsValidName(name));

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("Bad Name")]
    [InlineData("Bad:Name")]
    [InlineData("X\r\nY")]
    [InlineData("X\nY")]
    [InlineData("Acc\u00e9pt")]
    [InlineData("(comment)")]
    [InlineData("a\"b")]
    [InlineData("a/b")]
    [InlineData("a\tb")]
    public void Separators_spaces_controls_and_non_ascii_are_not_header_names(string? name) => Assert.False(HeaderRules.IsValidName(name));

    [Theory]
    [InlineData("")]
    [InlineData("application/json; q=0.9")]
    [InlineData("respond-async\twait=5")]
    [InlineData(" !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~")]
    public void Printable_ascii_space_and_tab_are_valid_values(string value) => Assert.True(HeaderRules.IsValidValue(value));

    [Theory]
    [InlineData(null)]
    [InlineData("a\rb")]
    [InlineData("a\nb")]
    [InlineData("a\0b")]
    [InlineData("a\u007fb")]
    [InlineData("a\u001bb")]
    [InlineData("caf\u00e9")]
    [InlineData("\u2028")]
    public void Line_breaks_controls_and_non_ascii_are_not_valid_values(string? value) => Assert.False(HeaderRules.IsValidValue(value));

    [Fact]
    public void The_problem_names_the_first_bad_header_and_never_echoes_control_characters()
    {
        var problem = HeaderRules.Problem([new("Accept", "ok"), new("X-Evil\r\nSet-Cookie", "x"), new("Prefer", "caf\u00e9")]);

        Assert.NotNull(problem);
        Assert.Contains("'X-Evil??Set-Cookie'", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("Prefer", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_problem_for_a_bad_value_names_its_header()
    {
        Assert.Contains("'Prefer'", HeaderRules.Problem([new("Accept", "ok"), new("Prefer", "a\nb")]), StringComparison.Ordinal);
        Assert.Null(HeaderRules.Problem([new("Accept", "ok"), new("Prefer", "respond-async")]));
    }
}
