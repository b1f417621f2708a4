using Intermediary.Tokens;

namespace Intermediary.Tests.Tokens;

/// <summary>The rules for the token held between MSAL lookups, on their own.</summary>
public sealed class HeldTokenTests
{
    private static readonly DateTimeOffset s_expires = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Without_a_refresh_time_it_is_held_until_five_minutes_before_expiry()
    {
        Assert.Equal(s_expires - TimeSpan.FromMinutes(5), TokenProvider.HeldUntil(s_expires, null));
    }

    [Fact]
    public void An_earlier_refresh_time_ends_it_sooner()
    {
        var refresh = s_expires - TimeSpan.FromMinutes(30);

        Assert.Equal(refresh, TokenProvider.HeldUntil(s_expires, refresh));
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(-1)]
    [InlineData(10)]
    public void A_refresh_time_at_or_after_the_expiry_margin_does_not_extend_it(int minutesFromExpiry)
    {
        Assert.Equal(s_expires - TimeSpan.FromMinutes(5), TokenProvider.HeldUntil(s_expires, s_expires + TimeSpan.FromMinutes(minutesFromExpiry)));
    }

    [Fact]
    public void A_newer_token_replaces_an_older_one()
    {
        var older = Held("old", s_expires);
        var newer = Held("new", s_expires + TimeSpan.FromMinutes(10));

        Assert.Same(newer, TokenProvider.Keep(older, newer, rejectedToken: null));
    }

    [Fact]
    public void A_slower_caller_cannot_put_back_an_older_token()
    {
        var newer = Held("new", s_expires + TimeSpan.FromMinutes(10));
        var older = Held("old", s_expires);

        Assert.Same(newer, TokenProvider.Keep(newer, older, rejectedToken: null));
    }

    [Fact]
    public void A_token_arriving_later_with_the_same_expiry_replaces_the_held_one()
    {
        // Entra's expiry has one-second precision: two tokens issued within a second expire together.
        var held = Held("held", s_expires);
        var arriving = Held("arriving", s_expires);

        Assert.Same(arriving, TokenProvider.Keep(held, arriving, rejectedToken: null));
    }

    [Fact]
    public void A_rejected_token_is_replaced_even_by_one_that_expires_sooner()
    {
        var rejected = Held("rejected", s_expires + TimeSpan.FromMinutes(10));
        var replacement = Held("replacement", s_expires);

        Assert.Same(replacement, TokenProvider.Keep(rejected, replacement, rejectedToken: "rejected"));
        Assert.Same(rejected, TokenProvider.Keep(rejected, replacement, rejectedToken: "another"));
    }

    [Fact]
    public void The_authorization_header_is_built_once_and_only_from_header_safe_tokens()
    {
        Assert.Equal("Bearer eyJ0.eyJ1.sig-_~+/=", new TokenResult("eyJ0.eyJ1.sig-_~+/=", null).AuthorizationHeader);
        Assert.Null(new TokenResult("line\r\nbreak", null).AuthorizationHeader);
        Assert.Null(new TokenResult("with space", null).AuthorizationHeader);
        Assert.Null(new TokenResult(null, null).AuthorizationHeader);
    }

    private static TokenProvider.HeldToken Held(string token, DateTimeOffset expires) =>
        new(new TokenResult(token, null) { ExpiresOn = expires }, TokenProvider.HeldUntil(expires, null));
}
