using Intermediary.Security;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Tests.Security;

public sealed class HeaderForwardingTests
{
    private static HeaderDictionary Incoming(params (string Name, string Value)[] headers)
    {
        var dictionary = new HeaderDictionary();
        foreach (var (name, value) in headers)
        {
            dictionary.Append(name, value);
        }

        return dictionary;
    }

    [Fact]
    public void Without_configuration_exactly_the_seven_defaults_are_forwarded_with_their_values()
    {
        var incoming = Incoming(("Accept", "application/json"), ("Accept-Language", "nl-NL"), ("Content-Type", "application/json"),
            ("If-Match", "\"1\""), ("If-None-Match", "\"2\""), ("Idempotency-Key", "k-1"), ("Prefer", "return=minimal"), ("X-Other", "no"));

        var selected = HeaderForwarding.Select(incoming, []);

        Assert.Equal(
            [("Accept", "application/json"), ("Accept-Language", "nl-NL"), ("Content-Type", "application/json"), ("If-Match", "\"1\""),
             ("If-None-Match", "\"2\""), ("Idempotency-Key", "k-1"), ("Prefer", "return=minimal")],
            selected.Select(h => (h.Key, h.Value)));
    }

    [Fact]
    public void A_configured_list_replaces_the_defaults_and_keeps_every_value_of_a_repeated_header()
    {
        var incoming = Incoming(("Accept", "application/json"), ("X-Tenant", "a"), ("X-Tenant", "b"));

        var selected = HeaderForwarding.Select(incoming, ["X-Tenant"]);

        Assert.Equal([("X-Tenant", "a"), ("X-Tenant", "b")], selected.Select(h => (h.Key, h.Value)));
    }

    [Theory]
    [InlineData("Authorization")]
    [InlineData("Cookie")]
    [InlineData("x-functions-key")]
    [InlineData("Ocp-Apim-Subscription-Key")]
    [InlineData("Host")]
    [InlineData("traceparent")]
    [InlineData("X-Forwarded-For")]
    [InlineData("Content-Length")]
    public void A_header_the_service_owns_is_never_selected_even_if_configured(string header)
    {
        var selected = HeaderForwarding.Select(Incoming((header, "value")), [header]);

        Assert.Empty(selected);
        Assert.True(HeaderForwarding.IsNeverForwarded(header.ToUpperInvariant()));
    }
}
