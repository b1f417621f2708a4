using Intermediary.Configuration;

namespace Intermediary.Tests.Configuration;

/// <summary>One upstream: its name, where it is, which paths and headers callers may use, and its size limit.</summary>
public sealed class UpstreamOptionsValidatorTests
{
    private const string Prefix = "Intermediary:Upstreams:orders";

    [Fact]
    public void A_complete_upstream_is_valid() => Assert.Empty(Errors(_ => { }));

    [Theory]
    [InlineData("orders-v2_eu", false)]
    [InlineData("orders/v2", true)]
    [InlineData("orders v2", true)]
    [InlineData("..", true)]
    public void The_name_is_a_plain_url_segment(string name, bool refused) =>
        AreaValidation.AssertRule(Errors(_ => { }, name),
            $"Intermediary:Upstreams:{name}: upstream names may use only letters, digits, '-' and '_' (they are a URL segment).", refused);

    [Fact]
    public void A_missing_base_url_is_named_with_an_example() =>
        Assert.Equal([$"{Prefix}:BaseUrl is required (the APIM API URL, e.g. https://contoso.azure-api.net/orders/)."],
            Errors(o => o.BaseUrl = null));

    [Theory]
    [InlineData("http://apim.example/orders/", false)]
    [InlineData("https://apim.example:8443/orders", false)]
    [InlineData("ftp://apim.example/orders/", true)]
    [InlineData("https://apim.example/orders/?subscription-key=x", true)]
    [InlineData("https://apim.example/orders/#top", true)]
    [InlineData("https://someone@apim.example/orders/", true)]
    [InlineData("orders/", true)]
    public void The_base_url_is_absolute_http_and_carries_nothing_but_a_path(string url, bool refused) =>
        AreaValidation.AssertRule(Errors(o => o.BaseUrl = new Uri(url, UriKind.RelativeOrAbsolute)),
            $"{Prefix}:BaseUrl must be an absolute http or https URL without query, fragment or user info.", refused);

    [Fact]
    public void At_least_one_allowed_path_is_needed_and_the_message_says_how_to_allow_all() =>
        Assert.Equal([$"{Prefix}:AllowedPaths needs at least one path prefix (e.g. {Prefix}:AllowedPaths:0=/items, or / to allow every path)."],
            Errors(o => o.AllowedPaths.Clear()));

    [Theory]
    [InlineData("/", false)]
    [InlineData("/faults/", false)]
    [InlineData("orders", true)]
    [InlineData("/orders/../admin", true)]
    [InlineData("/orders/%2e%2e", true)]
    [InlineData("/orders//x", true)]
    [InlineData("/orders?x", true)]
    public void An_allowed_path_is_a_plain_prefix(string path, bool refused) =>
        AreaValidation.AssertRule(Errors(o => o.AllowedPaths[0] = path),
            $"{Prefix}:AllowedPaths:0 must start with '/' and contain no '..', '//', '\\', '%', '?' or '#'.", refused);

    [Theory]
    [InlineData("Authorization")]
    [InlineData("Proxy-Authorization")]
    [InlineData("Cookie")]
    [InlineData("Host")]
    [InlineData("x-functions-key")]
    [InlineData("Ocp-Apim-Subscription-Key")]
    [InlineData("Ocp-Apim-Trace")]
    [InlineData("Content-Length")]
    [InlineData("Transfer-Encoding")]
    [InlineData("Connection")]
    [InlineData("Keep-Alive")]
    [InlineData("Upgrade")]
    [InlineData("Expect")]
    [InlineData("TE")]
    [InlineData("Trailer")]
    [InlineData("Proxy-Connection")]
    [InlineData("Forwarded")]
    [InlineData("X-Forwarded-For")]
    [InlineData("X-Forwarded-Host")]
    [InlineData("X-Forwarded-Proto")]
    [InlineData("x-correlation-id")]
    [InlineData("traceparent")]
    [InlineData("tracestate")]
    [InlineData("X-Error-Mode")]
    [InlineData("COOKIE")]
    public void A_header_the_service_owns_cannot_be_configured_for_forwarding(string header) =>
        Assert.Equal([$"{Prefix}:ForwardedHeaders:0 '{header}' is set by the service itself and cannot be forwarded from callers."],
            Errors(o => o.ForwardedHeaders.Add(header)));

    [Theory]
    [InlineData("Bad Header")]
    [InlineData("X-A\r\nX-B")]
    [InlineData("")]
    public void A_forwarded_header_that_is_not_a_header_name_is_named_by_its_key(string header) =>
        Assert.Equal([$"{Prefix}:ForwardedHeaders:1 is not a valid HTTP header name."],
            Errors(o => o.ForwardedHeaders.AddRange(["Accept", header])));

    [Theory]
    [InlineData(1, false)]
    [InlineData(0, true)]
    public void A_response_may_have_a_positive_size(long bytes, bool refused) =>
        AreaValidation.AssertRule(Errors(o => o.MaxResponseBodyBytes = bytes), $"{Prefix}:MaxResponseBodyBytes must be greater than 0.", refused);

    [Fact]
    public void The_credential_resilience_and_cache_rules_apply_under_the_upstreams_key()
    {
        var errors = Errors(o =>
        {
            o.ClientSecret = null;
            o.Resilience.MaxRetries = 11;
            o.Cache.MaxEntryBytes = 0;
        });

        Assert.Equal(
            [
                $"{Prefix}:ClientSecret is required when {Prefix}:Credential is ClientSecret.",
                $"{Prefix}:Resilience:MaxRetries must be between 0 and 10.",
                $"{Prefix}:Cache:MaxEntryBytes must be greater than 0.",
            ],
            errors);
    }

    private static List<string> Errors(Action<UpstreamOptions> change, string name = "orders") =>
        AreaValidation.Errors<UpstreamOptions>($"Intermediary:Upstreams:{name}", (prefix, options, errors) => UpstreamOptionsValidator.Validate(prefix, name, options, errors), o =>
        {
            o.BaseUrl = new Uri("https://apim.example/orders/");
            o.AllowedPaths.Add("/orders");
            (o.TenantId, o.ClientId, o.ClientSecret, o.Scope) = ("tenant", "client", "placeholder", "api://orders/.default");
            change(o);
        });
}
