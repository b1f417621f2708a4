using Intermediary.Security;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Tests.Security;

public sealed class CallerKeysTests
{
    private static readonly string[] s_keys = ["first-key-value", "second-key-value"];

    [Fact]
    public void Header_key_matching_any_configured_key_is_accepted()
    {
        var request = new DefaultHttpContext().Request;
        request.Headers[CallerKeys.HeaderName] = "second-key-value";

        Assert.True(CallerKeys.IsAuthorized(request, s_keys));
    }

    [Fact]
    public void Query_code_is_accepted_like_functions_does()
    {
        var request = new DefaultHttpContext().Request;
        request.QueryString = new QueryString("?code=first-key-value");

        Assert.True(CallerKeys.IsAuthorized(request, s_keys));
    }

    [Theory]
    [InlineData("")]
    [InlineData("first-key-valu")]
    [InlineData("first-key-value ")]
    [InlineData("FIRST-KEY-VALUE")]
    public void Wrong_or_missing_keys_are_refused(string offered)
    {
        var request = new DefaultHttpContext().Request;
        request.Headers[CallerKeys.HeaderName] = offered;

        Assert.False(CallerKeys.IsAuthorized(request, s_keys));
    }

    [Fact]
    public void A_key_configured_twice_is_still_accepted()
    {
        // During a rotation the same value can sit under two names; matching it twice must not cancel out.
        var request = new DefaultHttpContext().Request;
        request.Headers[CallerKeys.HeaderName] = "rotated-key-value";

        Assert.True(CallerKeys.IsAuthorized(request, ["rotated-key-value", "rotated-key-value"]));
        Assert.True(CallerKeys.IsAuthorized(request, ["rotated-key-value", "other-key-value", "rotated-key-value"]));
    }

    [Fact]
    public void No_configured_keys_refuses_everyone()
    {
        var request = new DefaultHttpContext().Request;
        request.Headers[CallerKeys.HeaderName] = "anything";

        Assert.False(CallerKeys.IsAuthorized(request, []));
    }
}
