using Intermediary.Envelopes;
using Intermediary.Security;

namespace Intermediary.Tests.Security;

public sealed class RequestPathTests
{
    private static readonly string[] s_allowed = ["/items", "/faults/"];

    [Theory]
    [InlineData("items", "/items")]
    [InlineData("items/42", "/items/42")]
    [InlineData("faults/status/503", "/faults/status/503")]
    [InlineData("items/a b", "/items/a b")]
    public void Paths_under_an_allowed_prefix_pass(string path, string expected)
    {
        var check = RequestPath.Check(path, null, s_allowed);

        Assert.True(check.IsAllowed, check.Message);
        Assert.Equal(expected, check.Path);
    }

    [Theory]
    [InlineData("itemsX")]
    [InlineData("admin")]
    [InlineData("")]
    [InlineData("faults")]
    public void Paths_outside_the_allowlist_are_not_allowed(string path)
    {
        var check = RequestPath.Check(path, null, s_allowed);

        Assert.False(check.IsAllowed);
        Assert.Equal(EnvelopeCode.PathNotAllowed, check.Code);
    }

    [Theory]
    [InlineData("items/../admin")]
    [InlineData("items/./x")]
    [InlineData("items//x")]
    [InlineData("/items")]
    [InlineData("items\\..\\admin")]
    [InlineData("items/%2e%2e/admin")]
    [InlineData("items/%2F..")]
    [InlineData("items/%5cadmin")]
    [InlineData("http://evil.example/items")]
    [InlineData("https:/evil")]
    [InlineData("items/\u0000")]
    [InlineData("items/a\r\nHost: evil")]
    public void Traversal_and_smuggling_attempts_are_invalid_requests(string path)
    {
        var check = RequestPath.Check(path, null, s_allowed);

        Assert.False(check.IsAllowed);
        Assert.Equal(EnvelopeCode.InvalidRequest, check.Code);
    }

    [Theory]
    [InlineData("/api/call/demo/items/%2e%2e/admin")]
    [InlineData("/api/call/demo/items/..%2Fadmin")]
    [InlineData("/api/call/demo/items/%5C..")]
    [InlineData("/api/call/demo/items/../admin")]
    [InlineData("/api/call/demo//items")]
    [InlineData("http://evil.example/api/call/demo/items")]
    public void Encoded_tricks_in_the_raw_target_are_rejected_even_when_the_decoded_path_looks_fine(string rawTarget)
    {
        var check = RequestPath.Check("items/admin", rawTarget, s_allowed);

        Assert.False(check.IsAllowed);
        Assert.Equal(EnvelopeCode.InvalidRequest, check.Code);
    }

    [Fact]
    public void Combine_escapes_each_segment_and_keeps_the_base_path()
    {
        var uri = RequestPath.Combine(new Uri("https://apim.example/orders"), "/items/a b?c", "?x=1");

        Assert.Equal("https://apim.example/orders/items/a%20b%3Fc?x=1", uri.AbsoluteUri);
        Assert.Equal("apim.example", uri.Host);
    }

    [Theory]
    [InlineData("/", true)]
    [InlineData("/items", true)]
    [InlineData("/items/", true)]
    [InlineData("items", false)]
    [InlineData("/items/../x", false)]
    [InlineData("/items?x", false)]
    [InlineData("", false)]
    public void Allowed_prefixes_are_validated(string prefix, bool valid)
    {
        Assert.Equal(valid, RequestPath.IsValidAllowedPrefix(prefix));
    }
}
