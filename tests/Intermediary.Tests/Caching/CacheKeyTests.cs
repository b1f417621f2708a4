using Intermediary.Caching;
using Intermediary.Upstream;

namespace Intermediary.Tests.Caching;

public sealed class CacheKeyTests
{
    [Fact]
    public void Parameter_order_does_not_make_a_different_question_but_repeated_values_keep_theirs()
    {
        Assert.Equal(Key(query: "?b=2&a=1"), Key(query: "?a=1&b=2"));
        Assert.Equal(Key(query: "?tag=x&page=2&tag=y"), Key(query: "?page=2&tag=x&tag=y"));
        Assert.NotEqual(Key(query: "?tag=x&tag=y"), Key(query: "?tag=y&tag=x"));
        Assert.NotEqual(Key(query: "?a=1"), Key(query: null));
    }

    [Fact]
    public void Method_path_upstream_answer_changing_headers_and_caller_each_make_a_different_key()
    {
        var baseline = Key();

        Assert.NotEqual(baseline, Key(method: HttpMethod.Head));
        Assert.NotEqual(baseline, Key(path: "/items/1"));
        Assert.NotEqual(baseline, Key(upstream: "other"));
        Assert.NotEqual(baseline, Key(headers: [new("Accept", "application/xml")]));
        Assert.NotEqual(Key(headers: [new("Accept-Language", "de")]), Key(headers: [new("Accept-Language", "fr")]));
        Assert.NotEqual(baseline, Key(partition: "caller-one-key"));
        Assert.NotEqual(Key(partition: "caller-one-key"), Key(partition: "caller-two-key"));
    }

    [Fact]
    public void Headers_that_only_matter_to_writes_and_header_name_case_do_not_change_the_key()
    {
        Assert.Equal(Key(), Key(headers: [new("Idempotency-Key", "abc"), new("Content-Type", "application/json")]));
        Assert.Equal(Key(headers: [new("accept", "application/json")]), Key(headers: [new("Accept", "application/json")]));
    }

    [Fact]
    public void Values_cannot_be_shifted_between_parts_to_collide()
    {
        Assert.NotEqual(Key(path: "/items", query: "?a=1"), Key(path: "/items?a=1", query: null));
        Assert.NotEqual(Key(headers: [new("Accept", "x\nAccept-Language")]), Key(headers: [new("Accept", "x"), new("Accept-Language", "")]));
        Assert.NotEqual(Key(query: "?accept&x"), Key(query: null, headers: [new("Accept", "x")]));
        Assert.NotEqual(Key(headers: [new("Accept", "de")]), Key(headers: [new("Accept-Language", "de")]));
    }

    [Fact]
    public void A_key_is_short_holds_no_control_character_and_never_the_callers_key()
    {
        var key = Key(path: "/" + new string('a', 5_000), partition: "secret-caller-key-1234");

        Assert.StartsWith("ic1:demo:", key, StringComparison.Ordinal);
        Assert.True(key.Length < 100, key);
        Assert.DoesNotContain("secret-caller-key", key, StringComparison.Ordinal);
        Assert.All(key, c => Assert.False(char.IsControl(c)));
    }

    private static string Key(
        HttpMethod? method = null,
        string path = "/items",
        string? query = "?page=1",
        IReadOnlyList<KeyValuePair<string, string>>? headers = null,
        string upstream = "demo",
        string? partition = null) =>
        CacheKey.For(new UpstreamRequest(upstream, method ?? HttpMethod.Get, path, query, headers ?? [], null, "c1"), partition);
}
