using System.Text;
using System.Text.Json;
using Intermediary.Caching;
using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Upstream;

namespace Intermediary.Tests.Caching;

public sealed class CacheRulesTests
{
    private static readonly UpstreamRequest s_get = new("demo", HttpMethod.Get, "/items", null, [], null, "c1");

    [Theory]
    [InlineData("GET", "/items", true)]
    [InlineData("HEAD", "/items", true)]
    [InlineData("GET", "/items/42", true)]
    [InlineData("GET", "/itemsx", false)]
    [InlineData("GET", "/echo", false)]
    [InlineData("POST", "/items", false)]
    [InlineData("DELETE", "/items/1", false)]
    public void Only_safe_reads_under_a_configured_path_go_through_the_cache(string method, string path, bool applies)
    {
        var request = s_get with { Method = new HttpMethod(method), Path = path };

        Assert.Equal(applies, CacheRules.Applies(request, Cache(), callerKey: "k"));
    }

    [Theory]
    [InlineData("If-None-Match")]
    [InlineData("If-Match")]
    [InlineData("if-modified-since")]
    [InlineData("If-Unmodified-Since")]
    [InlineData("If-Range")]
    [InlineData("Range")]
    public void Conditional_and_partial_reads_bypass_the_cache(string header)
    {
        Assert.False(CacheRules.Applies(s_get with { Headers = [new(header, "x")] }, Cache(), callerKey: "k"));
    }

    [Fact]
    public void Nothing_is_cached_without_paths_and_per_caller_caching_needs_a_caller_key()
    {
        var perCaller = Cache();
        perCaller.VaryByCaller = true;

        Assert.False(CacheRules.Applies(s_get, new CacheOptions(), callerKey: "k"));
        Assert.False(CacheRules.Applies(s_get, perCaller, callerKey: null));
        Assert.False(CacheRules.Applies(s_get, perCaller, callerKey: ""));
        Assert.True(CacheRules.Applies(s_get, perCaller, callerKey: "k"));
    }

    [Theory]
    [InlineData(null, null, 10.0)]
    [InlineData("max-age=3", null, 3.0)]
    [InlineData("public, max-age=60", null, 10.0)]
    [InlineData("max-age=30, s-maxage=4", null, 4.0)]
    [InlineData("max-age=5", "2", 3.0)]
    [InlineData("max-age=5", "9", null)]
    [InlineData("max-age=0", null, null)]
    [InlineData("no-store", null, null)]
    [InlineData("no-cache", null, null)]
    [InlineData("private, max-age=60", null, null)]
    [InlineData("this is not, = a header", null, null)]
    public void A_good_answer_is_kept_for_the_ttl_shortened_by_what_the_upstream_allows(string? cacheControl, string? age, double? seconds)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (cacheControl is not null)
        {
            headers["Cache-Control"] = cacheControl;
        }

        if (age is not null)
        {
            headers["Age"] = age;
        }

        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, CacheRules.FreshFor(s_get, Result(headers: headers), Cache()));
    }

    [Fact]
    public void A_private_answer_is_kept_only_when_answers_are_kept_per_caller()
    {
        var perCaller = Cache();
        perCaller.VaryByCaller = true;
        var result = Result(headers: new(StringComparer.OrdinalIgnoreCase) { ["Cache-Control"] = "private, max-age=5" });

        Assert.Null(CacheRules.FreshFor(s_get, result, Cache()));
        Assert.Equal(TimeSpan.FromSeconds(5), CacheRules.FreshFor(s_get, result, perCaller));
    }

    [Fact]
    public void Failures_heads_other_statuses_non_json_cookies_vary_star_and_large_bodies_are_never_kept()
    {
        var small = Cache();
        small.MaxEntryBytes = 8;

        Assert.NotNull(CacheRules.FreshFor(s_get, Result(), Cache()));
        Assert.Null(CacheRules.FreshFor(s_get with { Method = HttpMethod.Head }, Result(), Cache()));
        Assert.Null(CacheRules.FreshFor(s_get, Result(ok: false, status: 503), Cache()));
        Assert.Null(CacheRules.FreshFor(s_get, Result(status: 203), Cache()));
        Assert.Null(CacheRules.FreshFor(s_get, Result(contentType: "text/plain"), Cache()));
        Assert.NotNull(CacheRules.FreshFor(s_get, Result(contentType: "application/problem+json; charset=utf-8"), Cache()));
        Assert.Null(CacheRules.FreshFor(s_get, Result(headers: new(StringComparer.OrdinalIgnoreCase) { ["Set-Cookie"] = "a=b" }), Cache()));
        Assert.Null(CacheRules.FreshFor(s_get, Result(headers: new(StringComparer.OrdinalIgnoreCase) { ["Vary"] = "*" }), Cache()));
        Assert.NotNull(CacheRules.FreshFor(s_get, Result(headers: new(StringComparer.OrdinalIgnoreCase) { ["Vary"] = "Accept" }), Cache()));
        Assert.Null(CacheRules.FreshFor(s_get, Result(body: "[1,2,3,4,5]"), small));
        Assert.NotNull(CacheRules.FreshFor(s_get, Result(body: "[1,2,34]"), small));
        Assert.Null(CacheRules.FreshFor(s_get, new UpstreamCallResult(Ok(), null), Cache()));
    }

    [Theory]
    [InlineData(EnvelopeCode.RateLimited, 429, true, true)]
    [InlineData(EnvelopeCode.ServiceUnavailable, 503, true, true)]
    [InlineData(EnvelopeCode.UpstreamError, 500, false, true)]
    [InlineData(EnvelopeCode.InvalidResponse, 502, false, true)]
    [InlineData(EnvelopeCode.Timeout, null, true, true)]
    [InlineData(EnvelopeCode.NetworkError, null, true, true)]
    [InlineData(EnvelopeCode.CircuitOpen, null, true, true)]
    [InlineData(EnvelopeCode.TokenAcquisitionFailed, null, true, true)]
    [InlineData(EnvelopeCode.TokenAcquisitionFailed, 400, false, false)]
    [InlineData(EnvelopeCode.NotFound, 404, false, false)]
    [InlineData(EnvelopeCode.QuotaExceeded, 403, false, false)]
    [InlineData(EnvelopeCode.Unauthorized, 401, false, false)]
    public void A_kept_answer_stands_in_only_for_failures_that_may_pass(EnvelopeCode code, int? upstreamStatus, bool retryable, bool standsIn)
    {
        var failure = Envelope.Failure(code, "m") with
        {
            Retryable = retryable,
            Upstream = upstreamStatus is null ? null : new UpstreamDetails(upstreamStatus, null, null, null, null),
        };

        Assert.Equal(standsIn, CacheRules.MayServeStale(failure));
    }

    [Fact]
    public void The_callers_own_cancellation_and_a_success_are_not_failures_to_stand_in_for()
    {
        Assert.False(CacheRules.MayServeStale(Envelope.Failure(EnvelopeCode.Timeout, "The caller canceled the request.") with { Status = 499, Retryable = true }));
        Assert.False(CacheRules.MayServeStale(Ok()));
    }

    private static CacheOptions Cache()
    {
        var cache = new CacheOptions { Ttl = TimeSpan.FromSeconds(10) };
        cache.Paths.Add("/items");
        return cache;
    }

    private static Envelope Ok() => new() { Ok = true, Status = 200, Code = EnvelopeCode.Ok, Message = "OK", Data = JsonElement.Parse("[]") };

    private static UpstreamCallResult Result(
        bool ok = true, int status = 200, string contentType = "application/json; charset=utf-8", string body = "[]",
        Dictionary<string, string>? headers = null)
    {
        var envelope = ok ? Ok() : Envelope.Failure(EnvelopeCode.ServiceUnavailable, "down");
        return new UpstreamCallResult(envelope, new UpstreamResponse(status, contentType, Encoding.UTF8.GetBytes(body),
            headers ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), false));
    }
}
