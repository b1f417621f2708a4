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
    // A colon is refused only in the first segment (a scheme); later segments carry times and URNs.
    [InlineData("items/2026-11-29T10:00:00Z", "/items/2026-11-29T10:00:00Z")]
    [InlineData("items/urn:item:42/parts", "/items/urn:item:42/parts")]
    // Dots inside a segment are not dot segments.
    [InlineData("items/v1.2/..x/.hidden", "/items/v1.2/..x/.hidden")]
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

    public static TheoryData<string> PathsWithOneCharacter()
    {
        // Every printable ASCII character but the separator, and a non-ASCII one: alone in a segment, so a character
        // wrongly taken as needing no escape is caught by itself.
        var data = new TheoryData<string>();
        foreach (var c in Enumerable.Range(0x20, 0x7F - 0x20).Select(i => (char)i).Where(c => c != '/').Append('\u00e9'))
        {
            data.Add($"/items/a{c}b");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PathsWithOneCharacter))]
    public void Combine_escapes_exactly_what_escaping_each_segment_does(string checkedPath)
    {
        var uri = RequestPath.Combine(new Uri("https://apim.example/api/"), checkedPath, null);

        var expected = string.Join('/', checkedPath.TrimStart('/').Split('/').Select(Uri.EscapeDataString));
        Assert.Equal("https://apim.example/api/" + expected, uri.OriginalString);
    }

    [Theory]
    [InlineData("/", "https://apim.example/api/")]
    [InlineData("/items/", "https://apim.example/api/items/")]
    [InlineData("/items/Az09-._~", "https://apim.example/api/items/Az09-._~")]
    public void Combine_keeps_paths_that_need_no_escaping_as_they_are(string checkedPath, string expected) =>
        Assert.Equal(expected, RequestPath.Combine(new Uri("https://apim.example/api"), checkedPath, null).OriginalString);

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

    private static readonly Uri s_base = new("https://apim.example/orders/");

    [Theory]
    [InlineData("https://apim.example/orders/items/7/status", "/items/7/status", null)]
    [InlineData("/orders/items/7?api-version=2", "/items/7", "?api-version=2")]
    [InlineData("items/7", "/items/7", null)]
    [InlineData("https://APIM.example/orders/faults/x", "/faults/x", null)]
    public void A_location_under_the_base_path_and_allowlist_is_followed_from_its_checked_parts(string location, string path, string? query)
    {
        var check = RequestPath.CheckLocation(s_base, location, s_allowed);

        Assert.Null(check.Problem);
        Assert.Equal(path, check.Path);
        Assert.Equal(query, check.Query);
    }

    [Theory]
    [InlineData("https://other.example/orders/items/1", "another host")]
    [InlineData("http://apim.example/orders/items/1", "another host")]
    [InlineData("https://apim.example:8443/orders/items/1", "another host")]
    [InlineData("https://user:pw@apim.example/orders/items/1", "another host")]
    [InlineData("/orders/items/../admin", "'..'")]
    [InlineData("https://apim.example/orders/items/../../billing/items", "'..'")]
    [InlineData("/orders/items/%2e%2e/admin", "encoded")]
    [InlineData("/orders/items%2fadmin", "encoded")]
    [InlineData("/orders/items//x", "empty segments")]
    [InlineData("/orders/items\\x", "backslashes")]
    [InlineData("/billing/items/1", "outside its own base path")]
    [InlineData("/ordersX/items/1", "outside its own base path")]
    [InlineData("/orders/admin", "is not allowed")]
    [InlineData("/orders/faults", "is not allowed")]
    [InlineData("/orders/items/%252e%252e", "double encoding")]
    public void A_location_elsewhere_or_with_traversal_is_refused_for_the_reason_that_applies(string location, string reason)
    {
        var check = RequestPath.CheckLocation(s_base, location, s_allowed);

        Assert.NotNull(check.Problem);
        Assert.Null(check.Path);
        Assert.Contains(reason, check.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("admin/secret-area/beyond-the-prefix-length")]
    [InlineData("faultsX/long-enough-to-pass-a-length-check")]
    [InlineData("faults")]
    public void A_prefix_ending_in_a_slash_admits_only_what_is_below_it(string path)
    {
        var check = RequestPath.Check(path, null, ["/faults/"]);

        Assert.False(check.IsAllowed, $"'{path}' passed /faults/");
        Assert.Equal(EnvelopeCode.PathNotAllowed, check.Code);
    }

    [Theory]
    [InlineData("itemsandmore")]
    [InlineData("item")]
    public void A_prefix_without_a_slash_admits_itself_and_below_but_not_longer_names(string path)
    {
        Assert.False(RequestPath.Check(path, null, ["/items"]).IsAllowed);
        Assert.True(RequestPath.Check("items/x", null, ["/items"]).IsAllowed);
    }

    [Theory]
    [InlineData("anything/at/all", true)]
    [InlineData("x", true)]
    [InlineData("a/../b", false)]
    public void An_allowed_path_of_slash_admits_every_clean_path_and_no_traversal(string path, bool allowed)
    {
        var check = RequestPath.Check(path, null, ["/"]);

        Assert.Equal(allowed, check.IsAllowed);
    }

    [Theory]
    [InlineData("/api/call/demo/items?next=https://evil.example/")]
    [InlineData("/api/call/demo/items?a=%2e%2e%2f&b=..&c=//&d=\\")]
    public void The_raw_path_rules_leave_the_query_alone(string target) => Assert.Null(RequestPath.RawTargetProblem(target));

    [Theory]
    [InlineData("http://evil.example/api/call/demo/items", "origin-form")]
    [InlineData("/api/call/demo/a\\b", "backslashes")]
    [InlineData("/api/call/demo/%2e%2e/x", "encoded dots, slashes, backslashes or NUL")]
    [InlineData("/api/call/demo/a%00b", "encoded dots, slashes, backslashes or NUL")]
    [InlineData("/api/call/demo/../x", "'.' or '..' segments")]
    [InlineData("/api/call/demo/./x", "'.' or '..' segments")]
    [InlineData("/api/call/demo//x", "empty segments")]
    public void Each_raw_target_rule_says_which_rule_refused(string target, string rule) =>
        Assert.Contains(rule, RequestPath.RawTargetProblem(target), StringComparison.Ordinal);

    [Theory]
    [InlineData("items/a\u0001b", "control characters")]
    [InlineData("items/a\\b", "backslashes")]
    [InlineData("items//b", "empty segments")]
    [InlineData("items/%2e%2e", "double encoding")]
    [InlineData("items/../x", "'.' or '..' segments")]
    [InlineData("https:/evil.example", "absolute URL")]
    [InlineData("/items", "empty segments")]
    public void Each_decoded_path_rule_says_which_rule_refused(string path, string rule)
    {
        var check = RequestPath.Check(path, null, ["/"]);

        Assert.Equal(EnvelopeCode.InvalidRequest, check.Code);
        Assert.Contains(rule, check.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void The_upstream_root_passes_only_when_slash_is_allowed(string? path)
    {
        var allowed = RequestPath.Check(path, null, ["/"]);

        Assert.True(allowed.IsAllowed, allowed.Message);
        Assert.Equal("/", allowed.Path);
        Assert.Equal("", allowed.Message);
        Assert.Equal(EnvelopeCode.Ok, allowed.Code);
        Assert.False(RequestPath.Check(path, null, ["/items"]).IsAllowed);
    }

    [Fact]
    public void A_refusal_carries_no_path() => Assert.Equal("", RequestPath.Check("admin", null, ["/items"]).Path);

    [Fact]
    public void A_path_equal_to_a_prefix_with_a_trailing_slash_is_not_below_it() =>
        Assert.False(RequestPath.Check("faults/", null, ["/faults/"]).IsAllowed);

    [Theory]
    [InlineData("items/%4")]
    [InlineData("items/%")]
    [InlineData("items/100%")]
    public void An_incomplete_percent_sign_at_the_end_is_an_ordinary_character(string path) =>
        Assert.True(RequestPath.Check(path, null, ["/items"]).IsAllowed);

    [Fact]
    public void A_location_check_needs_its_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => RequestPath.CheckLocation(null!, "/orders/items/1", s_allowed));
        Assert.Throws<ArgumentNullException>(() => RequestPath.CheckLocation(s_base, null!, s_allowed));
    }

    [Fact]
    public void A_location_that_is_not_a_url_is_refused_as_such() =>
        Assert.Contains("not a valid URL", RequestPath.CheckLocation(s_base, "https://[::1", s_allowed).Problem, StringComparison.Ordinal);

    [Theory]
    [InlineData("/ordersX/items/1")]
    [InlineData("/orders")]
    public void A_base_url_without_a_trailing_slash_still_bounds_the_base_path(string location)
    {
        var check = RequestPath.CheckLocation(new Uri("https://apim.example/orders"), location, s_allowed);

        Assert.Contains("outside its own base path", check.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_url_without_a_trailing_slash_follows_what_is_under_it() =>
        Assert.Equal("/items/1", RequestPath.CheckLocation(new Uri("https://apim.example/orders"), "/orders/items/1", s_allowed).Path);

    [Theory]
    [InlineData("https://apim.example")]
    [InlineData("https://apim.example?x=1")]
    public void An_absolute_location_without_a_path_is_refused_not_thrown(string location) =>
        Assert.NotNull(RequestPath.CheckLocation(s_base, location, s_allowed).Problem);

    [Fact]
    public void A_locations_query_is_not_judged_by_the_path_rules()
    {
        var check = RequestPath.CheckLocation(s_base, "/orders/items/7?next=a//b&c=%2e%2e&d=..", s_allowed);

        Assert.Null(check.Problem);
        // As System.Uri canonicalizes it (unreserved characters unescaped); the query is not a path.
        Assert.Equal("?next=a//b&c=..&d=..", check.Query);
    }

    [Fact]
    public void A_url_in_a_relative_locations_query_does_not_hide_encoded_traversal_in_its_path() =>
        Assert.Contains("encoded", RequestPath.CheckLocation(s_base, "/orders/items/%2e%2e/x?u=http://h/ok", s_allowed).Problem, StringComparison.Ordinal);
}

