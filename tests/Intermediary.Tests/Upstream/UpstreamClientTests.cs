using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Intermediary.Diagnostics;
using Intermediary.Endpoints;
using Intermediary.Envelopes;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace Intermediary.Tests.Upstream;

/// <summary>
/// The upstream client's own decisions, one call at a time: the one token replacement after a rejection (real MSAL
/// against the simulator's token endpoint, a scripted upstream), job budgets on their own pipelines, where caller
/// headers go, and what a call reports in its span, metrics and logs.
/// </summary>
public sealed class UpstreamClientTests : IAsyncLifetime
{
    private const string JwtRejected = """{"statusCode":401,"message":"Invalid JWT."}""";
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync();

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task A_rejected_token_is_replaced_once_and_the_request_sent_again_with_the_new_one()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n == 1
            ? ScriptedHandler.Json(HttpStatusCode.Unauthorized, JwtRejected)
            : ScriptedHandler.Json(HttpStatusCode.OK, """{"ok":true}""")));
        using var harness = WithTokens(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal(2, envelope.Attempts);
        Assert.Equal(2, _simulator.TokenRequestCount);
        var sent = handler.Requests.Select(r => r.Headers["Authorization"]).ToList();
        Assert.Equal(2, sent.Count);
        Assert.All(sent, value => Assert.StartsWith("Bearer ", value, StringComparison.Ordinal));
        Assert.NotEqual(sent[0], sent[1]);
    }

    [Fact]
    public async Task A_token_rejected_again_on_a_later_attempt_is_not_replaced_a_second_time()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n switch
        {
            1 or 3 => ScriptedHandler.Json(HttpStatusCode.Unauthorized, JwtRejected),
            2 => ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, """{"error":{"code":"Busy","message":"Try later."}}"""),
            _ => ScriptedHandler.Json(HttpStatusCode.OK, "{}"),
        }));
        using var harness = WithTokens(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        // Rejected, replaced, 503, retried, rejected again: the rejection is the answer, not another replacement.
        Assert.Equal(EnvelopeCode.Unauthorized, envelope.Code);
        Assert.Equal(3, envelope.Attempts);
        Assert.Equal(3, handler.Count);
        Assert.Equal(2, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task A_users_rejected_token_is_not_replaced_with_one_of_the_services()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.Unauthorized, JwtRejected)));
        using var harness = WithTokens(handler, onBehalfOfUsers: true);
        var request = new UpstreamRequest("api", HttpMethod.Get, "/items", null, [], null, "corr-user")
        {
            User = new ValidatedUser("a11ce000-0000-4000-8000-00000000a11c", _simulator.Options.TenantId, _simulator.IssueUserToken("alice")),
        };

        var envelope = (await harness.Client.SendAsync(request, budget: null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30))).Envelope;

        // A new exchange would give the same answer: the upstream's refusal is the caller's answer.
        Assert.Equal(EnvelopeCode.Unauthorized, envelope.Code);
        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(1, handler.Count);
        Assert.Equal(1, _simulator.UserTokenExchanges);
    }

    [Fact]
    public async Task A_401_that_is_not_about_the_token_gets_no_new_token()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.Unauthorized,
            """{"statusCode":401,"message":"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}""")));
        using var harness = WithTokens(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.SubscriptionKeyInvalid, envelope.Code);
        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(1, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task A_replacement_token_that_cannot_be_had_is_answered_as_the_identity_providers_failure()
    {
        var handler = new ScriptedHandler((_, _, _) =>
        {
            // The first token was issued; from now on the token endpoint refuses the service's credential.
            _simulator.SetTokenFault(new TokenFault(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.", 7000215));
            return Task.FromResult(ScriptedHandler.Json(HttpStatusCode.Unauthorized, JwtRejected));
        });
        using var harness = WithTokens(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.False(envelope.Ok);
        Assert.Equal(EnvelopeSource.Identity, envelope.Source);
        Assert.False(envelope.Retryable);
        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(1, handler.Count);
        Assert.Equal("corr-1", envelope.CorrelationId);
        Assert.Equal("AADSTS7000215", envelope.Upstream!.Code);
        Assert.Equal(401, envelope.Upstream.Status);
        Assert.Contains("AADSTS7000215: Invalid client secret provided.", envelope.Message, StringComparison.Ordinal);
        Assert.Equal(envelope.Message, envelope.Upstream.Message);
    }

    [Fact]
    public async Task Each_job_budget_runs_on_a_pipeline_of_its_own()
    {
        var slow = new TaskCompletionSource();
        var handler = new ScriptedHandler(async (_, n, ct) =>
        {
            if (n == 3)
            {
                await slow.Task.WaitAsync(ct);
            }

            return ScriptedHandler.Json(HttpStatusCode.OK, "{}");
        });
        using var harness = new UpstreamHarness(handler);
        var request = new UpstreamRequest("api", HttpMethod.Get, "/items", null, [], null, "corr-job");

        // A plain call (20 s per attempt) and a job with a 5 s budget build their pipelines first.
        Assert.True((await harness.Client.SendAsync(request, budget: null, CancellationToken.None)).Envelope.Ok);
        Assert.True((await harness.Client.SendAsync(request, TimeSpan.FromSeconds(5), CancellationToken.None)).Envelope.Ok);
        var sending = harness.Client.SendAsync(request, TimeSpan.FromSeconds(60), CancellationToken.None);
        await Eventually.True(() => handler.Count == 3, "the 60 s job's attempt started");
        harness.Clock.Advance(TimeSpan.FromSeconds(30));
        slow.SetResult();
        var result = await sending.WaitAsync(TimeSpan.FromSeconds(30));

        // Thirty seconds in, neither the plain call's limits nor the 5 s job's applied to the 60 s job.
        Assert.True(result.Envelope.Ok, result.Envelope.Message);
        Assert.Equal(1, result.Envelope.Attempts);
        Assert.Equal(3, handler.Count);
    }

    [Fact]
    public async Task A_callers_content_type_travels_with_the_body_and_other_headers_with_the_request()
    {
        var seen = new List<string?>();
        var handler = new ScriptedHandler((request, _, _) =>
        {
            seen.Add(request.Content?.Headers.ContentType?.ToString());
            return Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK, "{}"));
        });
        using var harness = new UpstreamHarness(handler);

        await harness.SendAsync(HttpMethod.Post, "/items", ("Content-Type", "application/json; charset=utf-8"), ("Accept", "application/json"));

        Assert.Equal(["application/json; charset=utf-8"], seen);
        var (_, _, headers) = Assert.Single(handler.Requests);
        Assert.Equal("application/json", headers["Accept"]);
        Assert.False(headers.ContainsKey("Content-Type"), "a content header is not sent as a request header");
    }

    [Fact]
    public async Task A_caller_that_cancels_during_an_attempt_is_answered_as_canceled_without_another_attempt()
    {
        var handler = new ScriptedHandler(async (_, _, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return ScriptedHandler.Json(HttpStatusCode.OK, "{}");
        });
        using var harness = new UpstreamHarness(handler);
        using var caller = new CancellationTokenSource();
        var request = new UpstreamRequest("api", HttpMethod.Get, "/items", null, [], null, "corr-gone");

        var sending = harness.Client.SendAsync(request, budget: null, caller.Token);
        await Eventually.True(() => handler.Count == 1, "the attempt started");
        await caller.CancelAsync();
        var envelope = (await sending.WaitAsync(TimeSpan.FromSeconds(30))).Envelope;

        Assert.Equal((EnvelopeCode.Timeout, 499, true), (envelope.Code, envelope.Status, envelope.Retryable));
        Assert.Equal("The caller canceled the request.", envelope.Message);
        Assert.Equal(1, envelope.Attempts);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task A_cancellation_the_caller_did_not_ask_for_is_not_reported_as_the_callers()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromException<HttpResponseMessage>(new TaskCanceledException("canceled inside the pipeline")));
        using var harness = new UpstreamHarness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.InternalError, envelope.Code);
        Assert.Equal(500, envelope.Status);
        Assert.False(envelope.Retryable);
        Assert.Equal(1, handler.Count);
    }

    [Fact]
    public async Task A_body_exactly_at_the_size_limit_is_read()
    {
        const string Body = """{"fits":"exactly"}""";
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK, Body)));
        using var harness = new UpstreamHarness(handler, new() { ["Intermediary:Upstreams:api:MaxResponseBodyBytes"] = Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal("exactly", envelope.Data!.Value.GetProperty("fits").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_one_byte_over_the_size_limit_is_refused_whether_or_not_its_length_was_announced(bool announced)
    {
        const string Body = """{"fits":"no, by one byte"}""";
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(announced
            ? ScriptedHandler.Json(HttpStatusCode.OK, Body)
            : new HttpResponseMessage(HttpStatusCode.OK) { Content = new UnannouncedContent(System.Text.Encoding.UTF8.GetBytes(Body)) }));
        using var harness = new UpstreamHarness(handler, new() { ["Intermediary:Upstreams:api:MaxResponseBodyBytes"] = (Body.Length - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) });

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.False(envelope.Ok);
        Assert.Equal(EnvelopeCode.InvalidResponse, envelope.Code);
        Assert.Contains("MaxResponseBodyBytes", envelope.Message, StringComparison.Ordinal);
        Assert.Null(envelope.Data);
        Assert.Equal(200, envelope.Upstream!.Status);
    }

    [Fact]
    public void A_token_a_header_cannot_carry_as_is_goes_through_the_validating_header_type()
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, "https://upstream.example/");

        UpstreamClient.AddCredentials(message, new TokenResult("token with spaces", null), new Intermediary.Configuration.UpstreamOptions());

        Assert.Equal("Bearer", message.Headers.Authorization!.Scheme);
        Assert.Equal("token with spaces", message.Headers.Authorization.Parameter);
    }

    [Fact]
    public async Task The_calls_span_names_the_upstream_method_code_and_attempts_and_marks_failures()
    {
        var handler = new ScriptedHandler((request, n, _) => Task.FromResult(n switch
        {
            1 => ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, "{}"),
            2 => ScriptedHandler.Json(HttpStatusCode.OK, "{}"),
            _ => ScriptedHandler.Json(HttpStatusCode.NotFound, """{"message":"No such order."}"""),
        }));
        using var harness = new UpstreamHarness(handler);
        using var parent = new Activity("test").Start();
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == IntermediaryDiagnostics.ActivitySource.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent.TraceId == parent.TraceId ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                lock (spans)
                {
                    spans.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        await harness.SendAsync(HttpMethod.Put);
        await harness.SendAsync(HttpMethod.Delete);

        var calls = spans.Where(s => s.OperationName == "upstream call").ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(("api", "PUT", "Ok", 2), Tags(calls[0]));
        Assert.Equal(ActivityStatusCode.Unset, calls[0].Status);
        Assert.Equal(("api", "DELETE", "NotFound", 1), Tags(calls[1]));
        Assert.Equal(ActivityStatusCode.Error, calls[1].Status);
        Assert.Equal("NotFound", calls[1].StatusDescription);

        static (string?, string?, string?, int?) Tags(Activity span) => (
            span.GetTagItem("intermediary.upstream") as string,
            span.GetTagItem("http.request.method") as string,
            span.GetTagItem("intermediary.code") as string,
            span.GetTagItem("intermediary.attempts") as int?);
    }

    [Fact]
    public async Task An_echoed_credential_is_counted_and_logged_without_the_credential()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK,
            """{"received":{"Ocp-Apim-Subscription-Key":"harness-subscription-key"}}""")));
        using var logs = new CapturingLoggerProvider();
        using var harness = new UpstreamHarness(handler, services: s => s.AddSingleton<ILoggerProvider>(logs));
        using var redactions = new MetricCollector<long>(harness.Services.GetRequiredService<IMeterFactory>(), IntermediaryDiagnostics.Name, "intermediary.credentials.redacted");

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.True(envelope.Ok);
        Assert.DoesNotContain("harness-subscription-key", envelope.Data!.Value.GetRawText(), StringComparison.Ordinal);
        var measurement = Assert.Single(redactions.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("api", measurement.Tags["upstream"]);
        var line = Assert.Single(logs.Lines, l => l.Contains("echoed this service's credentials", StringComparison.Ordinal));
        Assert.StartsWith("Warning Intermediary.Upstream.UpstreamClient: Upstream api echoed this service's credentials 1 time(s) in its response to /items", line, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("harness-subscription-key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_request_with_an_invalid_header_is_refused_before_sending_and_logged()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK, "{}")));
        using var logs = new CapturingLoggerProvider();
        using var harness = new UpstreamHarness(handler, services: s => s.AddSingleton<ILoggerProvider>(logs));

        var envelope = await harness.SendAsync(HttpMethod.Get, "/items", ("X-Note", "one\r\nInjected: two"));

        Assert.Equal(EnvelopeCode.InvalidRequest, envelope.Code);
        Assert.Equal(0, handler.Count);
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning Intermediary.Upstream.UpstreamClient: Upstream api refused before sending: a header is not a valid HTTP header", StringComparison.Ordinal));
    }

    [Fact]
    public void A_request_acts_for_a_user_when_it_carries_the_user_or_a_jobs_user_session()
    {
        var plain = new UpstreamRequest("api", HttpMethod.Get, "/items", null, [], null, "corr");

        Assert.False(plain.ActsForUser);
        Assert.True((plain with { User = new ValidatedUser("oid", "tid", "user-token") }).ActsForUser);
        Assert.True((plain with { UserSessionJob = "0123456789abcdef0123456789abcdef" }).ActsForUser);
    }

    [Theory]
    [InlineData("TokenAcquisitionFailed")]
    [InlineData("Unauthenticated")]
    [InlineData("ConsentRequired")]
    [InlineData("InteractionRequired")]
    public void A_token_failure_tells_who_must_act_and_carries_entras_code_words_and_claims(string who)
    {
        var failure = new TokenFailure("AADSTS50076: Multi-factor authentication is required.", "AADSTS50076", 400, Retryable: false)
        {
            Kind = Enum.Parse<TokenFailureKind>(who),
            Claims = """{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}""",
        };

        var envelope = UpstreamClient.TokenFailureEnvelope(failure, "corr-token");
        var code = Enum.Parse<EnvelopeCode>(who);

        Assert.Equal((false, code, EnvelopeStatus.For(code), EnvelopeSource.Identity, false), (envelope.Ok, envelope.Code, envelope.Status, envelope.Source, envelope.Retryable));
        Assert.Equal(("corr-token", failure.Message), (envelope.CorrelationId, envelope.Message));
        Assert.Equal(new UpstreamDetails(400, null, "AADSTS50076", failure.Message, null) { Claims = failure.Claims }, envelope.Upstream);
    }

    private UpstreamHarness WithTokens(ScriptedHandler handler, bool onBehalfOfUsers = false)
    {
        // The simulator's credentials and token endpoint; the harness's scripted upstream.
        var settings = (onBehalfOfUsers ? SimulatorUpstream.OnBehalfOfSettings(_simulator, "api") : SimulatorUpstream.Settings(_simulator, "api"))
            .Where(s => !s.Key.EndsWith(":BaseUrl", StringComparison.Ordinal))
            .ToDictionary(s => s.Key, s => s.Value);
        return new UpstreamHarness(handler, settings,
            services => services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(_simulator.CreateTrustingHandler));
    }

    /// <summary>A body whose length is not known before it is read (as with chunked transfer encoding).</summary>
    private sealed class UnannouncedContent : HttpContent
    {
        private readonly byte[] _body;

        public UnannouncedContent(byte[] body)
        {
            _body = body;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
