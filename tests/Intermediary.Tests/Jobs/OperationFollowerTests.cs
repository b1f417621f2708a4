using System.Net;
using Intermediary.Envelopes;
using Intermediary.Jobs;
using Intermediary.Tests.Infrastructure;
using Intermediary.Upstream;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Jobs;

/// <summary>
/// Following an upstream's own long-running operation, on its own: a scripted upstream, the real client and a test
/// clock that skips each poll wait instead of sleeping (so the fake time that passed is the sum of the waits).
/// </summary>
public sealed class OperationFollowerTests
{
    private static readonly TimeSpan s_budget = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task An_operation_is_polled_through_its_running_states_and_its_resource_is_fetched_at_the_end()
    {
        var upstream = Script(
            Accepted("/base/operations/7"),
            Status("Running"),
            Status("NotStarted"),
            Status("Succeeded", ""","resourceLocation":"/base/items/7" """),
            ScriptedHandler.Json(HttpStatusCode.OK, """{"id":7,"name":"kettle"}"""));
        using var harness = new UpstreamHarness(upstream);

        var (envelope, waited) = await FollowAsync(harness);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal(7, envelope.Data!.Value.GetProperty("id").GetInt32());
        Assert.Equal(
            ["/base/items", "/base/operations/7", "/base/operations/7", "/base/operations/7", "/base/items/7"],
            upstream.Requests.Select(r => r.Uri.AbsolutePath));
        Assert.All(upstream.Requests.Skip(1), r => Assert.Equal(HttpMethod.Get, r.Method));
        // Three polls, each after the job's 5 s poll interval (no Retry-After); the resource is fetched at once.
        Assert.Equal(TimeSpan.FromSeconds(15), waited);
        Assert.Equal(1, envelope.Attempts);
    }

    [Theory]
    [InlineData(null, 5)]
    [InlineData("0", 1)]
    [InlineData("30", 30)]
    [InlineData("3600", 60)]
    public async Task Each_poll_waits_as_the_upstream_asks_between_one_second_and_a_minute_or_the_jobs_poll_interval(string? retryAfter, int seconds)
    {
        var upstream = Script(
            Accepted("/base/operations/7", retryAfter),
            ScriptedHandler.Json(HttpStatusCode.OK, """{"status":"Succeeded"}"""));
        using var harness = new UpstreamHarness(upstream);

        var (envelope, waited) = await FollowAsync(harness);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal(TimeSpan.FromSeconds(seconds), waited);
    }

    [Theory]
    [InlineData("Failed")]
    [InlineData("Canceled")]
    [InlineData("cancelled")]
    [InlineData("ABORTED")]
    public async Task An_operation_that_ended_badly_is_an_upstream_error_with_the_operations_own_words(string state)
    {
        using var harness = new UpstreamHarness(Script(
            Accepted("/base/operations/7"),
            Status(state, ""","error":{"code":"Conflict","message":"The kettle is already boiling."}""")));

        var (envelope, _) = await FollowAsync(harness);

        Assert.Equal((false, 502, EnvelopeCode.UpstreamError, false), (envelope.Ok, envelope.Status, envelope.Code, envelope.Retryable));
        Assert.Equal("The kettle is already boiling.", envelope.Message);
    }

    [Fact]
    public async Task An_operation_that_failed_without_saying_why_is_named_by_its_state()
    {
        using var harness = new UpstreamHarness(Script(Accepted("/base/operations/7"), Status("Failed")));

        var (envelope, _) = await FollowAsync(harness);

        Assert.Equal("The upstream's operation ended as 'failed'.", envelope.Message);
    }

    [Fact]
    public async Task A_later_202_moves_the_polling_to_its_new_location()
    {
        var upstream = Script(
            Accepted("/base/operations/7"),
            Accepted("/base/operations/7b"),
            ScriptedHandler.Json(HttpStatusCode.OK, """{"status":"Succeeded"}"""));
        using var harness = new UpstreamHarness(upstream);

        var (envelope, _) = await FollowAsync(harness);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal("/base/operations/7b", upstream.Requests.Last().Uri.AbsolutePath);
    }

    [Theory]
    [InlineData("https://elsewhere.test/base/operations/7")]
    [InlineData("/admin/operations/7")]
    [InlineData("/base/operations/%2e%2e/%2e%2e/admin")]
    public async Task A_location_outside_the_allowed_paths_is_never_polled(string location)
    {
        var upstream = Script(Accepted(location));
        using var harness = new UpstreamHarness(upstream, new() { ["Intermediary:Upstreams:api:AllowedPaths:0"] = "/items" });

        var (envelope, waited) = await FollowAsync(harness);

        Assert.Equal((false, 502, EnvelopeCode.InvalidResponse, EnvelopeSource.Intermediary), (envelope.Ok, envelope.Status, envelope.Code, envelope.Source));
        Assert.Equal(1, upstream.Count);
        Assert.Equal(TimeSpan.Zero, waited);
    }

    [Fact]
    public async Task A_resource_location_outside_the_allowed_paths_is_not_fetched()
    {
        var upstream = Script(
            Accepted("/base/items/operations/7"),
            Status("Succeeded", ""","resourceLocation":"https://elsewhere.test/secrets" """));
        using var harness = new UpstreamHarness(upstream, new() { ["Intermediary:Upstreams:api:AllowedPaths:0"] = "/items" });

        var (envelope, _) = await FollowAsync(harness);

        Assert.Equal(EnvelopeCode.InvalidResponse, envelope.Code);
        Assert.Equal(2, upstream.Count);
    }

    [Fact]
    public void Only_a_202_that_names_where_to_look_starts_an_operation()
    {
        static UpstreamCallResult Answer(int status, params (string, string)[] headers) =>
            new(new Envelope { Ok = true, Status = status, Code = EnvelopeCode.Ok, Message = "", CorrelationId = "corr" },
                new UpstreamResponse(status, null, ReadOnlyMemory<byte>.Empty, headers.ToDictionary(h => h.Item1, h => h.Item2, StringComparer.OrdinalIgnoreCase), false));

        Assert.True(OperationFollower.IsOperationStart(Answer(202, ("Operation-Location", "/base/op"))));
        Assert.True(OperationFollower.IsOperationStart(Answer(202, ("Azure-AsyncOperation", "/base/op"))));
        Assert.True(OperationFollower.IsOperationStart(Answer(202, ("Location", "/base/op"))));
        Assert.False(OperationFollower.IsOperationStart(Answer(202)));
        Assert.False(OperationFollower.IsOperationStart(Answer(201, ("Location", "/base/op"))));
        Assert.False(OperationFollower.IsOperationStart(Answer(200, ("Operation-Location", "/base/op"))));
    }

    /// <summary>Starts the call the way a job does, then follows it; returns the final envelope and the fake time spent waiting.</summary>
    private static async Task<(Envelope Envelope, TimeSpan Waited)> FollowAsync(UpstreamHarness harness)
    {
        var request = new UpstreamRequest("api", HttpMethod.Post, "/items", null, [], "{}"u8.ToArray(), "corr-op");
        var started = await harness.Client.SendAsync(request, s_budget, CancellationToken.None);
        Assert.True(OperationFollower.IsOperationStart(started), started.Envelope.Message);

        var follower = harness.Services.GetRequiredService<OperationFollower>();
        var resilience = harness.Options.Upstreams["api"].Resilience;
        var before = harness.Clock.GetUtcNow();
        var envelope = await harness.Clock.RunAsync(follower.FollowAsync(request, started, s_budget, CancellationToken.None),
            due => due != s_budget && due != resilience.AttemptTimeout && due != resilience.TotalTimeout);
        return (envelope, harness.Clock.GetUtcNow() - before);
    }

    private static ScriptedHandler Script(params HttpResponseMessage[] answers) =>
        new((_, number, _) => Task.FromResult(number <= answers.Length
            ? answers[number - 1]
            : ScriptedHandler.Json(HttpStatusCode.InternalServerError, """{"message":"the script has no more answers"}""")));

    private static HttpResponseMessage Accepted(string location, string? retryAfter = null)
    {
        var response = ScriptedHandler.Json(HttpStatusCode.Accepted, """{"status":"Accepted"}""", ("Operation-Location", location));
        if (retryAfter is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
        }

        return response;
    }

    private static HttpResponseMessage Status(string state, string more = "") =>
        ScriptedHandler.Json(HttpStatusCode.OK, $$"""{"status":"{{state}}"{{more}}}""");
}
