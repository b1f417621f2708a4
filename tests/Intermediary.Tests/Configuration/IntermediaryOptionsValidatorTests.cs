using Intermediary.Configuration;
using Intermediary.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Intermediary.Tests.Configuration;

/// <summary>
/// The whole configuration as start-up validation sees it: the service-wide limits, the areas wired in under their keys,
/// and the host refusing to start. Each area's own rules are tested by its validator's test class.
/// </summary>
public sealed class IntermediaryOptionsValidatorTests
{
    private static readonly Dictionary<string, string?> s_valid = new()
    {
        ["Intermediary:FunctionKeys:default"] = "k",
        ["Intermediary:Upstreams:orders:BaseUrl"] = "https://apim.example/orders/",
        ["Intermediary:Upstreams:orders:AllowedPaths:0"] = "/orders",
        ["Intermediary:Upstreams:orders:TenantId"] = "tenant",
        ["Intermediary:Upstreams:orders:ClientId"] = "client",
        ["Intermediary:Upstreams:orders:ClientSecret"] = "secret",
        ["Intermediary:Upstreams:orders:Scope"] = "api://orders/.default",
    };

    [Fact]
    public void A_complete_configuration_is_valid() => Assert.Empty(Errors(s_valid));

    [Fact]
    public void A_configured_cache_at_its_limits_is_valid() => Assert.Empty(Errors(new Dictionary<string, string?>(s_valid)
    {
        ["Intermediary:Upstreams:orders:Cache:Paths:0"] = "/orders/catalog",
        ["Intermediary:Upstreams:orders:Cache:Paths:1"] = "/",
        ["Intermediary:Upstreams:orders:Cache:Ttl"] = "01:00:00",
        ["Intermediary:Upstreams:orders:Cache:StaleIfError"] = "1.00:00:00",
        // Larger than MaxResponseBodyBytes is allowed: the smaller applies (a larger body never arrives).
        ["Intermediary:Upstreams:orders:MaxResponseBodyBytes"] = "100000",
        ["Intermediary:Upstreams:orders:Cache:MaxEntryBytes"] = "10485760",
        ["Intermediary:Upstreams:orders:Cache:VaryByCaller"] = "true",
    }));

    [Fact]
    public void An_upstream_called_on_behalf_of_users_needs_the_user_token_settings_and_a_credential_of_its_own()
    {
        var onBehalfOf = new Dictionary<string, string?>(s_valid)
        {
            ["Intermediary:Upstreams:orders:Credential"] = "OnBehalfOf",
            ["Intermediary:UserTokens:Authority"] = "https://login.microsoftonline.com/tenant/v2.0",
            ["Intermediary:UserTokens:TenantId"] = "tenant",
            ["Intermediary:UserTokens:Audiences:0"] = "client",
        };
        var bare = new Dictionary<string, string?>(s_valid) { ["Intermediary:Upstreams:orders:Credential"] = "OnBehalfOf" };
        var noCredential = new Dictionary<string, string?>(onBehalfOf) { ["Intermediary:Upstreams:orders:ClientSecret"] = null };
        var loose = new Dictionary<string, string?>(onBehalfOf)
        {
            ["Intermediary:UserTokens:Authority"] = "http://login.example/tenant/v2.0",
            ["Intermediary:UserTokens:RequiredScope"] = " ",
            ["Intermediary:UserTokens:ClockSkew"] = "01:00:00",
            ["Intermediary:UserTokens:CacheBytes"] = "0",
        };

        Assert.Empty(Errors(onBehalfOf));
        Assert.Empty(Errors(new Dictionary<string, string?>(onBehalfOf) { ["Intermediary:Upstreams:orders:ClientSecret"] = null, ["Intermediary:Upstreams:orders:CertificatePath"] = "/certs/me.pfx" }));
        var errors = Errors(bare);
        Assert.Contains(errors, e => e.StartsWith("Intermediary:UserTokens:Authority is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Intermediary:UserTokens:TenantId is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Intermediary:UserTokens:Audiences is required", StringComparison.Ordinal));
        Assert.Contains(Errors(noCredential), e => e.Contains("Intermediary:Upstreams:orders:ClientSecret, ", StringComparison.Ordinal));
        Assert.Equal(4, Errors(loose).Count(e => e.StartsWith("Intermediary:UserTokens:", StringComparison.Ordinal)));
        Assert.Contains(Errors(loose), e => e.StartsWith("Intermediary:UserTokens:CacheBytes must be greater than 0", StringComparison.Ordinal));
        Assert.DoesNotContain(Errors(s_valid), e => e.Contains("UserTokens", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Intermediary:Upstreams:orders:BaseUrl")]
    [InlineData("Intermediary:Upstreams:orders:ClientSecret")]
    [InlineData("Intermediary:Upstreams:orders:Scope")]
    [InlineData("Intermediary:Upstreams:orders:TenantId")]
    [InlineData("Intermediary:Upstreams:orders:AllowedPaths")]
    public void A_missing_required_value_is_named_by_its_key(string key)
    {
        var settings = new Dictionary<string, string?>(s_valid) { [key] = null };
        if (key.EndsWith("AllowedPaths", StringComparison.Ordinal))
        {
            settings.Remove(key + ":0");
        }

        Assert.Contains(Errors(settings), e => e.Contains(key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Intermediary:Upstreams:orders:BaseUrl", "ftp://apim.example/")]
    [InlineData("Intermediary:Upstreams:orders:AllowedPaths:0", "orders")]
    [InlineData("Intermediary:Upstreams:orders:AllowedPaths:0", "/orders/../admin")]
    [InlineData("Intermediary:Upstreams:orders:ForwardedHeaders:0", "Authorization")]
    [InlineData("Intermediary:Upstreams:orders:Resilience:AttemptTimeout", "00:05:00")]
    [InlineData("Intermediary:Upstreams:orders:Resilience:MaxRetries", "50")]
    [InlineData("Intermediary:Upstreams:orders:AuthorityHost", "http://login.example/")]
    [InlineData("Intermediary:Upstreams:orders:Cache:Paths:0", "orders")]
    [InlineData("Intermediary:Upstreams:orders:Cache:Paths:0", "/orders/%2e%2e")]
    [InlineData("Intermediary:Upstreams:orders:Cache:Ttl", "00:00:00")]
    [InlineData("Intermediary:Upstreams:orders:Cache:Ttl", "02:00:00")]
    [InlineData("Intermediary:Upstreams:orders:Cache:StaleIfError", "-00:00:01")]
    [InlineData("Intermediary:Upstreams:orders:Cache:StaleIfError", "2.00:00:00")]
    [InlineData("Intermediary:Upstreams:orders:Cache:MaxEntryBytes", "0")]
    [InlineData("Intermediary:ResponseCacheBytes", "0")]
    public void An_unsafe_or_inconsistent_value_is_named_by_its_key(string key, string value)
    {
        var settings = new Dictionary<string, string?>(s_valid) { [key] = value };

        Assert.Contains(Errors(settings), e => e.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public void Managed_identity_needs_only_a_scope()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Intermediary:Upstreams:orders:BaseUrl"] = "https://apim.example/orders/",
            ["Intermediary:Upstreams:orders:AllowedPaths:0"] = "/",
            ["Intermediary:Upstreams:orders:Credential"] = "ManagedIdentity",
            ["Intermediary:Upstreams:orders:Scope"] = "api://orders/.default",
        };

        Assert.Empty(Errors(settings));
    }

    [Theory]
    [InlineData("Intermediary:MaxRequestBodyBytes", "0", "Intermediary:MaxRequestBodyBytes must be greater than 0.")]
    [InlineData("Intermediary:MaxRequestTargetLength", "255", "Intermediary:MaxRequestTargetLength must be at least 256 and Intermediary:MaxRequestHeadersBytes at least 4096.")]
    [InlineData("Intermediary:MaxRequestHeadersBytes", "4095", "Intermediary:MaxRequestTargetLength must be at least 256 and Intermediary:MaxRequestHeadersBytes at least 4096.")]
    [InlineData("Intermediary:PublicBaseUrl", "ftp://intermediary.example/", "Intermediary:PublicBaseUrl must be an absolute http or https URL without a query, or empty.")]
    [InlineData("Intermediary:PublicBaseUrl", "https://intermediary.example/?x=1", "Intermediary:PublicBaseUrl must be an absolute http or https URL without a query, or empty.")]
    [InlineData("Intermediary:ResponseCacheBytes", "0", "Intermediary:ResponseCacheBytes must be greater than 0.")]
    [InlineData("Intermediary:MaxBufferedResponseBytes", "10485759", "Intermediary:MaxBufferedResponseBytes must be at least the largest MaxResponseBodyBytes of any upstream (10485760).")]
    public void A_service_wide_limit_out_of_range_is_the_only_error(string key, string value, string message) =>
        Assert.Equal([message], Errors(new Dictionary<string, string?>(s_valid) { [key] = value }));

    [Theory]
    [InlineData("Intermediary:MaxRequestTargetLength", "256")]
    [InlineData("Intermediary:MaxRequestHeadersBytes", "4096")]
    [InlineData("Intermediary:PublicBaseUrl", "https://intermediary.example/base/")]
    [InlineData("Intermediary:MaxBufferedResponseBytes", "10485760")]
    public void A_service_wide_limit_at_its_edge_is_valid(string key, string value) =>
        Assert.Empty(Errors(new Dictionary<string, string?>(s_valid) { [key] = value }));

    [Fact]
    public void Every_areas_rules_apply_under_its_own_key()
    {
        var errors = Errors(new Dictionary<string, string?>(s_valid)
        {
            ["Intermediary:Jobs:MaxConcurrency"] = "0",
            ["Intermediary:Upstreams:orders:Resilience:MaxRetries"] = "11",
            ["Intermediary:Upstreams:orders:Cache:Ttl"] = "00:00:00",
            ["Intermediary:Upstreams:orders:ClientSecret"] = null,
            ["Intermediary:Upstreams:kennel:BaseUrl"] = "https://apim.example/kennel/",
        });

        Assert.Contains("Intermediary:Jobs:MaxConcurrency must be between 1 and 64.", errors);
        Assert.Contains("Intermediary:Upstreams:orders:Resilience:MaxRetries must be between 0 and 10.", errors);
        Assert.Contains("Intermediary:Upstreams:orders:Cache:Ttl must be greater than 0 and at most 01:00:00.", errors);
        Assert.Contains("Intermediary:Upstreams:orders:ClientSecret is required when Intermediary:Upstreams:orders:Credential is ClientSecret.", errors);
        Assert.Contains(errors, e => e.StartsWith("Intermediary:Upstreams:kennel:AllowedPaths needs at least one path prefix", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_server_refuses_to_start_without_function_keys_and_says_which_key()
    {
        var settings = new Dictionary<string, string?>(s_valid) { ["Intermediary:FunctionKeys:default"] = null };

        await using var app = await IntermediaryServer.CreateAsync(["--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.Sources.Clear();
            b.Configuration.AddInMemoryCollection(settings);
        });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Intermediary:FunctionKeys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_refuses_to_start_without_upstreams()
    {
        await using var app = await IntermediaryServer.CreateAsync(["--urls", "http://127.0.0.1:0"], b =>
        {
            b.Configuration.Sources.Clear();
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Intermediary:FunctionKeys:default"] = "k" });
        });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Intermediary:Upstreams", error.Message, StringComparison.Ordinal);
    }

    private static List<string> Errors(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<IntermediaryOptions>>().Value;
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return ex.Failures.ToList();
        }
    }
}
