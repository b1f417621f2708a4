using Intermediary.Configuration;

namespace Intermediary.Tests.Configuration;

/// <summary>What callers' user tokens must say, for upstreams called on behalf of users.</summary>
public sealed class UserTokenOptionsValidatorTests
{
    private const string Prefix = "Intermediary:UserTokens";

    [Fact]
    public void A_complete_setting_is_valid() => Assert.Empty(Errors(_ => { }));

    [Fact]
    public void Nothing_set_names_the_authority_the_tenant_and_the_audiences()
    {
        var errors = AreaValidation.Errors<UserTokenOptions>(Prefix, UserTokenOptionsValidator.Validate, _ => { });

        Assert.Equal(3, errors.Count);
        Assert.StartsWith($"{Prefix}:Authority is required when an upstream's Credential is OnBehalfOf", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"{Prefix}:TenantId is required", errors[1], StringComparison.Ordinal);
        Assert.StartsWith($"{Prefix}:Audiences is required", errors[2], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://login.example/tenant/v2.0")]
    [InlineData("/tenant/v2.0")]
    public void The_authority_is_an_absolute_https_url(string authority) =>
        AssertOneError(o => o.Authority = new Uri(authority, UriKind.RelativeOrAbsolute), $"{Prefix}:Authority is required");

    [Fact]
    public void An_empty_audience_is_refused_even_beside_a_good_one() =>
        AssertOneError(o => o.Audiences.Add(" "), $"{Prefix}:Audiences is required");

    [Fact]
    public void The_required_scope_cannot_be_blank() =>
        AssertOneError(o => o.RequiredScope = " ", $"{Prefix}:RequiredScope must not be empty");

    [Theory]
    [InlineData("00:10:00", false)]
    [InlineData("00:00:00", false)]
    [InlineData("00:10:00.001", true)]
    [InlineData("-00:00:01", true)]
    public void Clock_skew_is_at_most_ten_minutes(string skew, bool refused)
    {
        var errors = Errors(o => o.ClockSkew = TimeSpan.Parse(skew, System.Globalization.CultureInfo.InvariantCulture));

        AreaValidation.AssertRule(errors, $"{Prefix}:ClockSkew must be between 00:00:00 and 00:10:00.", refused);
    }

    [Fact]
    public void The_token_cache_needs_some_memory() =>
        AssertOneError(o => o.CacheBytes = 0, $"{Prefix}:CacheBytes must be greater than 0");

    private static void AssertOneError(Action<UserTokenOptions> change, string start)
    {
        var errors = Errors(change);

        Assert.Single(errors);
        Assert.StartsWith(start, errors[0], StringComparison.Ordinal);
    }

    /// <summary>The errors after <paramref name="change"/> to a setting that is otherwise complete.</summary>
    private static List<string> Errors(Action<UserTokenOptions> change) =>
        AreaValidation.Errors<UserTokenOptions>(Prefix, UserTokenOptionsValidator.Validate, o =>
        {
            o.Authority = new Uri("https://login.microsoftonline.com/tenant/v2.0");
            o.TenantId = "tenant";
            o.Audiences.Add("client");
            change(o);
        });
}
