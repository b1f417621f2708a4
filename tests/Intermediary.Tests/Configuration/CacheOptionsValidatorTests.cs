using Intermediary.Configuration;

namespace Intermediary.Tests.Configuration;

/// <summary>An upstream's response cache: its paths, how long answers are kept and how large they may be.</summary>
public sealed class CacheOptionsValidatorTests
{
    private const string Prefix = "Intermediary:Upstreams:orders:Cache";
    private const string PathRule = "must start with '/' and contain no '..', '//', '\\', '%', '?' or '#'.";

    [Fact]
    public void The_defaults_are_valid_and_cache_nothing()
    {
        Assert.Empty(Errors(_ => { }));
        Assert.Empty(new CacheOptions().Paths);
    }

    [Theory]
    [InlineData("/", false)]
    [InlineData("/orders/catalog", false)]
    [InlineData("/orders/", false)]
    [InlineData("orders", true)]
    [InlineData("", true)]
    [InlineData("/orders/../admin", true)]
    [InlineData("/orders//catalog", true)]
    [InlineData("/orders/%2e%2e", true)]
    [InlineData("/orders?all", true)]
    [InlineData("/orders#top", true)]
    [InlineData("/orders\\catalog", true)]
    public void A_cached_path_is_a_plain_prefix_like_an_allowed_path(string path, bool refused) =>
        AssertRule(o => o.Paths.Add(path), $"{Prefix}:Paths:0 {PathRule}", refused);

    [Fact]
    public void Each_bad_path_is_named_by_its_own_index() =>
        Assert.Equal([$"{Prefix}:Paths:1 {PathRule}", $"{Prefix}:Paths:3 {PathRule}"],
            Errors(o => o.Paths.AddRange(["/items", "items", "/catalog", "/../x"])));

    [Theory]
    [InlineData("00:00:00.001", false)]
    [InlineData("01:00:00", false)]
    [InlineData("00:00:00", true)]
    [InlineData("01:00:00.001", true)]
    public void Answers_are_kept_for_more_than_nothing_and_at_most_an_hour(string ttl, bool refused) =>
        AssertRule(o => o.Ttl = TimeSpan.Parse(ttl, System.Globalization.CultureInfo.InvariantCulture),
            $"{Prefix}:Ttl must be greater than 0 and at most 01:00:00.", refused);

    [Theory]
    [InlineData("00:00:00", false)]
    [InlineData("1.00:00:00", false)]
    [InlineData("-00:00:00.001", true)]
    [InlineData("1.00:00:00.001", true)]
    public void A_stale_answer_stands_in_for_at_most_a_day(string staleIfError, bool refused) =>
        AssertRule(o => o.StaleIfError = TimeSpan.Parse(staleIfError, System.Globalization.CultureInfo.InvariantCulture),
            $"{Prefix}:StaleIfError must be between 00:00:00 and 1.00:00:00.", refused);

    [Theory]
    [InlineData(1, false)]
    [InlineData(0, true)]
    [InlineData(-1, true)]
    public void A_kept_answer_may_have_a_positive_size(long bytes, bool refused) =>
        AssertRule(o => o.MaxEntryBytes = bytes, $"{Prefix}:MaxEntryBytes must be greater than 0.", refused);

    private static void AssertRule(Action<CacheOptions> change, string message, bool refused) =>
        AreaValidation.AssertRule(Errors(change), message, refused);

    private static List<string> Errors(Action<CacheOptions> change) =>
        AreaValidation.Errors<CacheOptions>(Prefix, CacheOptionsValidator.Validate, change);
}
