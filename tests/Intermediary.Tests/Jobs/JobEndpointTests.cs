using System.Text;
using System.Text.Json;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Jobs;

/// <summary>Start → poll → result through the Server host, its job dispatcher and the simulator (embedded store).</summary>
public sealed class JobEndpointTests : IAsyncLifetime
{
    private readonly TestClock _clock = new();
    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock });
        var settings = IntermediaryHost.UpstreamSettings(_simulator);
        settings["Intermediary:Upstreams:demo:AllowedPaths:3"] = "/jobs";
        settings["Intermediary:Upstreams:demo:AllowedPaths:4"] = "/lro";
        settings["Intermediary:Jobs:MaxConcurrency"] = "1";
        _host = await IntermediaryHost.StartAsync(_simulator, settings, _clock);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Start_answers_202_with_location_retry_after_and_a_status_url()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=30", r => r.Headers.Add("X-Job-Method", "GET"));

        Assert.Equal(202, started.StatusCode);
        Assert.True(started.Ok);
        Assert.Equal("Accepted", started.Code);
        Assert.Equal("queued", started.JobStatus);
        Assert.Matches("^http://127.0.0.1:[0-9]+/api/jobs/[0-9a-f]{32}$", started.StatusUrl);
        Assert.Equal(started.StatusUrl + "?errorMode=status", started.Headers["Location"]);
        Assert.Equal("5", started.Headers["Retry-After"]);
        Assert.False(started.Job.GetProperty("expiresAt").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task Status_urls_use_the_public_base_url_when_one_is_configured()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:PublicBaseUrl"] = "https://jobs.contoso.example/" }, _clock);

        var started = await host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""{"path":"/items/1"}"""));

        Assert.StartsWith("https://jobs.contoso.example/api/jobs/", started.StatusUrl, StringComparison.Ordinal);
        Assert.StartsWith("https://jobs.contoso.example/api/jobs/", started.Headers["Location"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Poll_is_202_while_running_then_200_with_the_upstream_result()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=30", r => r.Headers.Add("X-Job-Method", "GET"));
        await Eventually.True(() => _simulator.InFlightApiRequests == 1, "the job's call reached the upstream");

        var running = await _host.SendAsync(HttpMethod.Get, started.StatusUrl + "?errorMode=status");
        var runningBodyMode = await _host.SendAsync(HttpMethod.Get, started.StatusUrl);
        _clock.Advance(TimeSpan.FromSeconds(30));
        var done = await _host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal(202, running.StatusCode);
        Assert.Equal("running", running.JobStatus);
        Assert.Equal(200, runningBodyMode.StatusCode);
        Assert.Equal("running", runningBodyMode.JobStatus);
        Assert.Equal(200, done.StatusCode);
        Assert.Equal("succeeded", done.JobStatus);
        Assert.Equal("Ok", done.Code);
        Assert.Equal(30, done.Data.GetProperty("waitedSeconds").GetInt32());
        Assert.False(done.Job.GetProperty("completedAt").ValueKind == JsonValueKind.Null);
    }

    [Fact]
    public async Task A_flow_can_describe_the_request_as_json()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""
            {"method":"POST","path":"/items","headers":{"Accept":"application/json","Cookie":"dropped"},"body":{"name":"from a flow","price":3}}
            """));

        var done = await _host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal("succeeded", done.JobStatus);
        Assert.Equal(201, done.Envelope.GetProperty("status").GetInt32());
        Assert.Equal("from a flow", done.Data.GetProperty("name").GetString());
        var sent = _simulator.Requests.Last(r => r.Method == "POST" && r.PathAndQuery.EndsWith("/items", StringComparison.Ordinal));
        Assert.Equal(started.Job.GetProperty("id").GetString(), sent.Headers["Idempotency-Key"]);
        Assert.False(sent.Headers.ContainsKey("Cookie"));
    }

    [Fact]
    public async Task An_upstream_failure_becomes_the_jobs_result()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""{"path":"/items/nope"}"""));

        var done = await _host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal(200, done.StatusCode);
        Assert.Equal("failed", done.JobStatus);
        Assert.Equal("NotFound", done.Code);
        Assert.Equal("ItemNotFound", done.Upstream.GetProperty("code").GetString());
        Assert.False(done.Ok);
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_same_job_and_calls_the_upstream_once()
    {
        void Key(HttpRequestMessage r)
        {
            r.Headers.Add("Idempotency-Key", "order-17");
            r.Content = Json("""{"method":"POST","path":"/items","body":{"name":"once","price":1}}""");
        }

        var first = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Key);
        var second = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Key);
        await _host.WaitForJobAsync(first.StatusUrl);
        var third = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Key);

        Assert.Equal(first.StatusUrl, second.StatusUrl);
        Assert.Equal(first.StatusUrl, third.StatusUrl);
        Assert.Equal(1, _simulator.Requests.Count(r => r.Method == "POST" && r.PathAndQuery.EndsWith("/items", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_queued_job_canceled_never_runs()
    {
        // One worker slot: the slow job holds it, so the second job stays queued.
        var slow = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=30", r => r.Headers.Add("X-Job-Method", "GET"));
        await Eventually.True(() => _simulator.InFlightApiRequests == 1, "the slow job is running");
        var queued = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""{"path":"/items/1"}"""));

        var canceled = await _host.SendAsync(HttpMethod.Delete, queued.StatusUrl + "?errorMode=status");
        _clock.Advance(TimeSpan.FromSeconds(30));
        await _host.WaitForJobAsync(slow.StatusUrl);
        var after = await _host.WaitForJobAsync(queued.StatusUrl);

        Assert.Equal(200, canceled.StatusCode);
        Assert.Equal("canceled", canceled.JobStatus);
        Assert.Equal("JobCanceled", canceled.Code);
        Assert.Equal("canceled", after.JobStatus);
        Assert.Equal(0, _simulator.CountApiRequests("/items"));
    }

    [Fact]
    public async Task A_running_job_canceled_stops_its_upstream_call()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=600", r => r.Headers.Add("X-Job-Method", "GET"));
        await Eventually.True(() => _simulator.InFlightApiRequests == 1, "the job is running");

        var cancel = await _host.SendAsync(HttpMethod.Delete, started.StatusUrl + "?errorMode=status");
        var done = await _host.WaitForJobAsync(started.StatusUrl);

        Assert.Equal(202, cancel.StatusCode);
        Assert.Equal("canceled", done.JobStatus);
        Assert.Equal("JobCanceled", done.Code);
        await Eventually.True(() => _simulator.InFlightApiRequests == 0, "the upstream call was aborted");
    }

    [Fact]
    public async Task Canceling_a_finished_job_leaves_it_as_it_was()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""{"path":"/items/1"}"""));
        await _host.WaitForJobAsync(started.StatusUrl);

        var cancel = await _host.SendAsync(HttpMethod.Delete, started.StatusUrl + "?errorMode=status");
        var after = await _host.SendAsync(HttpMethod.Get, started.StatusUrl);

        Assert.Equal(409, cancel.StatusCode);
        Assert.Equal("Conflict", cancel.Code);
        Assert.Contains("already succeeded", cancel.Message, StringComparison.Ordinal);
        Assert.Equal("succeeded", after.JobStatus);
    }

    [Theory]
    [InlineData("operation")]
    [InlineData("location")]
    public async Task An_upstream_long_running_operation_is_followed_to_its_end(string style)
    {
        var started = await _host.SendAsync(HttpMethod.Post, $"api/jobs/demo/lro/start?seconds=5&style={style}", r => r.Content = Json("""{"order":42}"""));

        var done = await _host.WaitForJobAsync(started.StatusUrl, step: TimeSpan.FromSeconds(1));

        Assert.Equal("succeeded", done.JobStatus);
        Assert.True(done.Ok, done.ToString());
        var result = style == "operation" ? done.Data.GetProperty("result") : done.Data;
        Assert.Equal(42, result.GetProperty("input").GetProperty("order").GetInt32());
        Assert.True(_simulator.CountApiRequests("/lro/") >= 3, "the operation was polled");
        Assert.Equal(1, done.Attempts);
    }

    [Theory]
    [InlineData("/demo/lro/../echo")]
    [InlineData("/demo/lro/%2e%2e/echo")]
    [InlineData("/demo/lro/..%2fecho")]
    [InlineData("/demo/../other-api/lro/x")]
    [InlineData("/other-api/lro/x")]
    [InlineData("/demo/admin/secrets")]
    [InlineData("/demo/lro//x")]
    [InlineData("http://evil.example/demo/lro/x")]
    [InlineData("http://user@127.0.0.1/demo/lro/x")]
    public async Task An_operation_url_outside_the_allowlist_or_base_path_is_never_fetched(string operationLocation)
    {
        var gatewayBefore = _simulator.GatewayRequestCount;
        var started = await _host.SendAsync(HttpMethod.Post, $"api/jobs/demo/lro/start?seconds=5&operationLocation={Uri.EscapeDataString(operationLocation)}");

        var done = await _host.WaitForJobAsync(started.StatusUrl, step: TimeSpan.FromSeconds(1));

        Assert.Equal("failed", done.JobStatus);
        Assert.Equal("InvalidResponse", done.Code);
        Assert.Contains("not followed", done.Message.Replace("may not follow", "not followed", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(gatewayBefore + 1, _simulator.GatewayRequestCount);
        Assert.Equal(0, _simulator.CountApiRequests("/echo"));
    }

    [Fact]
    public async Task An_operation_url_inside_the_allowlist_is_followed_with_its_query()
    {
        var started = await _host.SendAsync(HttpMethod.Post, $"api/jobs/demo/lro/start?seconds=1&operationLocation={Uri.EscapeDataString("/demo/items/1?view=full")}");

        var done = await _host.WaitForJobAsync(started.StatusUrl, step: TimeSpan.FromSeconds(1));

        Assert.Equal("succeeded", done.JobStatus);
        Assert.Equal("1", done.Data.GetProperty("id").ToString());
        Assert.Contains(_simulator.Requests, r => r.PathAndQuery == "/demo/items/1?view=full");
    }

    [Fact]
    public async Task A_failed_upstream_operation_fails_the_job()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo/lro/start?seconds=2&fail=true");

        var done = await _host.WaitForJobAsync(started.StatusUrl, step: TimeSpan.FromSeconds(1));

        Assert.Equal("failed", done.JobStatus);
        Assert.Equal("UpstreamError", done.Code);
        Assert.Contains("simulated operation failed", done.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_full_in_memory_store_refuses_new_jobs_with_a_retryable_ServiceUnavailable()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new()
        {
            ["Intermediary:Upstreams:demo:AllowedPaths:3"] = "/jobs",
            ["Intermediary:Jobs:Memory:MaxJobs"] = "2",
        }, _clock);
        await host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=600", r => r.Headers.Add("X-Job-Method", "GET"));
        await host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=600", r => r.Headers.Add("X-Job-Method", "GET"));

        var refused = await host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=1&errorMode=status", r => r.Headers.Add("X-Job-Method", "GET"));

        Assert.Equal(503, refused.StatusCode);
        Assert.Equal("ServiceUnavailable", refused.Code);
        Assert.True(refused.Envelope.GetProperty("retryable").GetBoolean());
        Assert.Equal("30", refused.Headers["Retry-After"]);
        Assert.Contains("unfinished jobs", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idempotency_key_names_one_job_per_caller_and_a_new_one_once_its_job_expired()
    {
        void Start(HttpRequestMessage r)
        {
            r.Headers.Add("Idempotency-Key", "nightly-export");
            r.Content = Json("""{"path":"/items/1"}""");
        }

        var first = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Start);
        await _host.WaitForJobAsync(first.StatusUrl);
        var repeated = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Start);
        _clock.Advance(TimeSpan.FromHours(25));
        var afterExpiry = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", Start);
        var rerun = await _host.WaitForJobAsync(afterExpiry.StatusUrl);

        Assert.Equal(first.StatusUrl, repeated.StatusUrl);
        Assert.Equal("succeeded", repeated.JobStatus);
        Assert.Equal(first.StatusUrl, afterExpiry.StatusUrl);
        Assert.Equal("queued", afterExpiry.JobStatus);
        Assert.Equal("succeeded", rerun.JobStatus);
        Assert.Equal(2, _simulator.CountApiRequests("/items/1"));
    }

    [Fact]
    public async Task Expired_jobs_answer_JobNotFound()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo", r => r.Content = Json("""{"path":"/items/1"}"""));
        await _host.WaitForJobAsync(started.StatusUrl);

        _clock.Advance(TimeSpan.FromHours(25));
        var expired = await _host.SendAsync(HttpMethod.Get, started.StatusUrl + "?errorMode=status");

        Assert.Equal(404, expired.StatusCode);
        Assert.Equal("JobNotFound", expired.Code);
    }

    [Fact]
    public async Task Concurrent_pollers_all_see_a_consistent_state()
    {
        var started = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo/jobs/slow?seconds=30", r => r.Headers.Add("X-Job-Method", "GET"));
        await Eventually.True(() => _simulator.InFlightApiRequests == 1, "the job is running");

        var polls = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => _host.SendAsync(HttpMethod.Get, started.StatusUrl + "?errorMode=status")));
        _clock.Advance(TimeSpan.FromSeconds(30));
        var done = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => _host.WaitForJobAsync(started.StatusUrl)));

        Assert.All(polls, p => Assert.Equal(("running", 202), (p.JobStatus, p.StatusCode)));
        Assert.All(done, d => Assert.Equal("succeeded", d.JobStatus));
        Assert.Equal(1, _simulator.CountApiRequests("/jobs/slow"));
    }

    [Theory]
    [InlineData("api/jobs/00000000000000000000000000000000")]
    [InlineData("api/jobs/not-a-job-id")]
    [InlineData("api/jobs/..%2f..%2fadmin")]
    public async Task Unknown_or_malformed_ids_are_JobNotFound(string url)
    {
        var response = await _host.SendAsync(HttpMethod.Get, url + "?errorMode=status");

        Assert.Equal("JobNotFound", response.Code);
        Assert.Equal(404, response.StatusCode);
    }

    [Theory]
    [InlineData("{not json", "BadRequest")]
    [InlineData("""{"method":"GET"}""", "BadRequest")]
    [InlineData("""{"path":"/items/../admin"}""", "InvalidRequest")]
    [InlineData("""{"path":"/admin"}""", "PathNotAllowed")]
    [InlineData("""{"method":"TRACE","path":"/items"}""", "MethodNotAllowed")]
    [InlineData("[1,2]", "BadRequest")]
    public async Task Bad_start_bodies_get_clear_envelopes_and_start_nothing(string body, string code)
    {
        var response = await _host.SendAsync(HttpMethod.Post, "api/jobs/demo?errorMode=status", r => r.Content = Json(body));

        Assert.Equal(code, response.Code);
        Assert.False(response.Ok);
        Assert.Equal(JsonValueKind.Null, response.Job.ValueKind);
        Assert.Equal(0, _simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task Unknown_upstream_and_missing_key_are_refused()
    {
        var unknown = await _host.SendAsync(HttpMethod.Post, "api/jobs/nowhere?errorMode=status", r => r.Content = Json("""{"path":"/items"}"""));
        var noKey = await _host.CallAsync(HttpMethod.Post, "api/jobs/demo?errorMode=status", r => r.Content = Json("""{"path":"/items"}"""), withKey: false);

        Assert.Equal(("NotFound", 404), (unknown.Code, unknown.StatusCode));
        Assert.Equal(("Unauthenticated", 401), (noKey.Code, noKey.StatusCode));
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");
}

/// <summary>A job store that cannot be reached: a boundary we own, faked to fail as Azure Storage does.</summary>
public sealed class UnavailableJobStoreTests
{
    [Fact]
    public async Task A_failing_job_store_is_ServiceUnavailable_not_an_internal_error()
    {
        await using var simulator = await ApimSimulator.StartAsync();
        await using var host = await IntermediaryHost.StartAsync(simulator, services: s =>
            s.AddSingleton<Intermediary.Jobs.IJobStore>(new FailingStore()));

        var started = await host.SendAsync(HttpMethod.Post, "api/jobs/demo?errorMode=status", r => r.Content = new StringContent("""{"path":"/items"}""", Encoding.UTF8, "application/json"));
        var polled = await host.SendAsync(HttpMethod.Get, $"api/jobs/{Intermediary.Jobs.JobRecord.NewId()}?errorMode=status");

        Assert.Equal(("ServiceUnavailable", 503), (started.Code, started.StatusCode));
        Assert.True(started.Envelope.GetProperty("retryable").GetBoolean());
        Assert.Equal("5", started.Headers["Retry-After"]);
        Assert.Equal(("ServiceUnavailable", 503), (polled.Code, polled.StatusCode));
    }

    private sealed class FailingStore : Intermediary.Jobs.IJobStore
    {
        private static Azure.RequestFailedException Unreachable() => new(503, "Service Unavailable", "ServerBusy", null);

        public Task<(Intermediary.Jobs.JobRecord Job, bool Created)> CreateAsync(Intermediary.Jobs.JobRecord job, CancellationToken cancellationToken) => throw Unreachable();

        public Task<Intermediary.Jobs.JobRecord?> GetAsync(string id, CancellationToken cancellationToken) => throw Unreachable();

        public Task<Intermediary.Jobs.JobRecord?> TryReplaceAsync(Intermediary.Jobs.JobRecord job, CancellationToken cancellationToken) => throw Unreachable();

        public Task<IReadOnlyList<Intermediary.Jobs.JobRecord>> ListRecoverableAsync(DateTimeOffset now, DateTimeOffset queuedBefore, CancellationToken cancellationToken) => throw Unreachable();

        public Task<int> PurgeExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken) => throw Unreachable();
    }
}
