using System.Net.Http.Headers;
using System.Text.Json;
using Intermediary.Jobs;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Integration;

/// <summary>
/// Jobs for an upstream called on behalf of the signed-in user, end to end over loopback with real MSAL: the job
/// starts a long-running on-behalf-of session while the user's token is valid and keeps acting as that user from
/// the session after the token has expired (the simulator's clock is the test's), only that user sees the job, and
/// the session ends with the job.
/// </summary>
public sealed class OnBehalfOfJobTests : IAsyncLifetime
{
    private const string AliceId = "a11ce000-0000-4000-8000-00000000a11c";

    // Issued tokens live 4 minutes: under MSAL's five-minute margin, so every token the job needs comes from the
    // session's refresh token, never from a cached token or the user's own.
    private readonly TestClock _clock = new();
    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock, TokenLifetime = TimeSpan.FromMinutes(4) });
        var settings = SimulatorUpstream.OnBehalfOfSettings(_simulator, "demo-user", "/whoami", "/lro");
        settings["Intermediary:Jobs:Timeout"] = "00:30:00";
        _host = await IntermediaryHost.StartAsync(_simulator, settings, _clock);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task A_job_started_by_alice_still_acts_as_alice_after_her_token_has_expired()
    {
        var aliceToken = _simulator.IssueUserToken("alice", TimeSpan.FromMinutes(5));
        var aliceExpires = Claim(aliceToken, "exp").GetInt64();

        // A 15-minute operation, polled by the job: every poll after the first five minutes is long past alice's token.
        var started = await StartAsync(aliceToken, "api/jobs/demo-user/lro/start?seconds=900&style=location");
        Assert.Equal(202, started.StatusCode);
        var finished = await WaitAsync("alice", started);

        Assert.Equal(("succeeded", true), (finished.Envelope.GetProperty("job").GetProperty("status").GetString(), finished.Ok));
        var calls = _simulator.Requests.Where(r => r.PathAndQuery.Contains("/lro/", StringComparison.Ordinal)).ToList();
        Assert.True(calls.Count > 10, $"the job polled the operation ({calls.Count} calls)");
        Assert.All(calls, call => Assert.Equal(AliceId, Claim(Bearer(call), "oid").GetString()));
        Assert.Contains(calls, call => Claim(Bearer(call), "iat").GetInt64() > aliceExpires);
        Assert.True(_simulator.UserTokenRefreshes >= calls.Count - 1, $"tokens came from the session ({_simulator.UserTokenRefreshes} refreshes)");
        Assert.Equal(0, Sessions.SessionCount);
    }

    [Fact]
    public async Task Only_the_user_who_started_a_job_sees_or_cancels_it()
    {
        var aliceToken = _simulator.IssueUserToken("alice");
        var started = await StartAsync(aliceToken, "api/jobs/demo-user/lro/start?seconds=600&style=location");
        var statusUrl = started.Envelope.GetProperty("job").GetProperty("statusUrl").GetString()!;

        var asBob = await PollAsync(_simulator.IssueUserToken("bob"), statusUrl, HttpMethod.Get);
        var bobCancels = await PollAsync(_simulator.IssueUserToken("bob"), statusUrl, HttpMethod.Delete);
        var anonymous = await _host.SendAsync(HttpMethod.Get, statusUrl + "?errorMode=status");
        var asAlice = await PollAsync(aliceToken, statusUrl, HttpMethod.Get);

        Assert.Equal((404, "JobNotFound"), (asBob.StatusCode, asBob.Code));
        Assert.Equal((404, "JobNotFound"), (bobCancels.StatusCode, bobCancels.Code));
        Assert.Equal((401, "Unauthenticated"), (anonymous.StatusCode, anonymous.Code));
        Assert.Equal(202, asAlice.StatusCode);

        var canceled = await PollAsync(aliceToken, statusUrl, HttpMethod.Delete);
        Assert.True(canceled.StatusCode is 200 or 202, canceled.Body);
        var final = await WaitAsync("alice", started);
        Assert.Equal("canceled", final.Envelope.GetProperty("job").GetProperty("status").GetString());
        Assert.Equal(0, Sessions.SessionCount);
    }

    [Fact]
    public async Task Consent_missing_at_the_start_is_answered_to_the_caller_and_no_job_is_created()
    {
        _simulator.ScriptUser("alice", UserChallenge.ConsentRequired);

        var started = await StartAsync(_simulator.IssueUserToken("alice"), "api/jobs/demo-user/whoami");

        Assert.Equal((403, "ConsentRequired"), (started.StatusCode, started.Code));
        Assert.Equal("AADSTS65001", started.Upstream.GetProperty("code").GetString());
        Assert.False(started.Envelope.TryGetProperty("job", out var job) && job.ValueKind == JsonValueKind.Object);
        Assert.Equal(0, ((InMemoryJobStore)_host.Services.GetRequiredService<IJobStore>()).Count);
        Assert.Equal(0, _simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task A_job_whose_session_was_revoked_fails_as_Unauthenticated_and_acts_for_nobody_else()
    {
        var aliceToken = _simulator.IssueUserToken("alice");
        var started = await StartAsync(aliceToken, "api/jobs/demo-user/lro/start?seconds=600&style=location");
        _simulator.RevokeUserSessions("alice");

        var finished = await WaitAsync("alice", started);

        Assert.Equal(("failed", "Unauthenticated"), (finished.Envelope.GetProperty("job").GetProperty("status").GetString(), finished.Code));
        Assert.Contains("AADSTS700082", finished.Upstream.GetProperty("code").GetString(), StringComparison.Ordinal);
        Assert.All(_simulator.Requests, call => Assert.Equal(AliceId, Claim(Bearer(call), "oid").GetString()));
        Assert.Equal(0, Sessions.SessionCount);
    }

    [Fact]
    public async Task The_same_Idempotency_Key_from_two_users_starts_two_jobs()
    {
        var alice = await StartAsync(_simulator.IssueUserToken("alice"), "api/jobs/demo-user/whoami", "report-1");
        var aliceAgain = await StartAsync(_simulator.IssueUserToken("alice"), "api/jobs/demo-user/whoami", "report-1");
        var bob = await StartAsync(_simulator.IssueUserToken("bob"), "api/jobs/demo-user/whoami", "report-1");

        Assert.Equal(JobId(alice), JobId(aliceAgain));
        Assert.NotEqual(JobId(alice), JobId(bob));
    }

    private InMemoryJobStore Sessions => (InMemoryJobStore)_host.Services.GetRequiredService<IJobStore>();

    private Task<IntermediaryHost.Response> StartAsync(string userToken, string path, string? idempotencyKey = null) =>
        _host.SendAsync(HttpMethod.Post, path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "errorMode=status", request =>
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userToken);
            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }
        });

    private Task<IntermediaryHost.Response> PollAsync(string userToken, string statusUrl, HttpMethod method) =>
        _host.SendAsync(method, statusUrl + "?errorMode=status", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", userToken));

    /// <summary>
    /// Polls as the user until the job has ended, half a minute of test time between polls, each poll with a token
    /// issued then (as a connector sends the signed-in user's current token, not the one the job started with).
    /// </summary>
    private async Task<IntermediaryHost.Response> WaitAsync(string user, IntermediaryHost.Response started)
    {
        var statusUrl = started.Envelope.GetProperty("job").GetProperty("statusUrl").GetString()!;
        for (var i = 0; i < 500; i++)
        {
            var poll = await PollAsync(_simulator.IssueUserToken(user, TimeSpan.FromMinutes(5)), statusUrl, HttpMethod.Get);
            if (poll.StatusCode != 202)
            {
                return poll;
            }

            _clock.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(10);
        }

        throw new TimeoutException("The job did not end.");
    }

    private static string JobId(IntermediaryHost.Response response) => response.Envelope.GetProperty("job").GetProperty("id").GetString()!;

    private static string Bearer(RecordedRequest request) => request.Headers["Authorization"]["Bearer ".Length..];

    private static JsonElement Claim(string jwt, string name) => JsonDocument.Parse(SimulatorMsal.Payload(jwt)).RootElement.GetProperty(name).Clone();
}
