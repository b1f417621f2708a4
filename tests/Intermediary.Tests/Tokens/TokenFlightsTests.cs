using Intermediary.Tokens;

namespace Intermediary.Tests.Tokens;

/// <summary>
/// The coordination of token requests with a scripted source: the interleavings that matter (a caller whose cache
/// read returned the rejected token only after the refresh finished) cannot be forced through MSAL itself.
/// </summary>
public sealed class TokenFlightsTests
{
    private const string Source = "credential";
    private const string Scope = "api://demo/.default";

    [Fact]
    public async Task Concurrent_callers_share_one_request()
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        var pending = source.Next(force: false);

        var callers = Enumerable.Range(0, 100).Select(_ => flights.GetAsync(Source, Scope, null, source.AcquireAsync, CancellationToken.None)).ToArray();
        pending.SetResult(Token("t1"));
        var results = await Task.WhenAll(callers);

        Assert.Equal([(Scope, false)], source.Calls);
        Assert.All(results, r => Assert.Equal("t1", r.AccessToken));
    }

    [Fact]
    public async Task A_rejected_token_the_source_still_hands_out_is_refreshed_once_for_all_its_callers()
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        var read = source.Next(force: false);
        var refresh = source.Next(force: true);

        var callers = Enumerable.Range(0, 50).Select(_ => flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None)).ToArray();
        read.SetResult(Token("t1"));
        refresh.SetResult(Token("t2"));
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, source.Calls.Count(c => c.Force));
        Assert.All(results, r => Assert.Equal("t2", r.AccessToken));
    }

    [Fact]
    public async Task A_caller_whose_read_returned_the_rejected_token_after_the_refresh_ended_gets_that_refresh()
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        source.Next(force: false).SetResult(Token("t1"));
        source.Next(force: true).SetResult(Token("t2"));
        var first = await flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None);

        // A second caller's read began before the refresh and answers with the old token only now.
        var lateRead = source.Next(force: false);
        var late = flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None);
        lateRead.SetResult(Token("t1"));

        Assert.Equal("t2", first.AccessToken);
        Assert.Equal("t2", (await late).AccessToken);
        Assert.Equal(1, source.Calls.Count(c => c.Force));
    }

    [Fact]
    public async Task Rejecting_the_replacement_refreshes_again()
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        source.Next(force: false).SetResult(Token("t1"));
        source.Next(force: true).SetResult(Token("t2"));
        await flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None);

        source.Next(force: false).SetResult(Token("t2"));
        source.Next(force: true).SetResult(Token("t3"));
        var again = await flights.GetAsync(Source, Scope, "t2", source.AcquireAsync, CancellationToken.None);

        Assert.Equal("t3", again.AccessToken);
        Assert.Equal(2, source.Calls.Count(c => c.Force));
    }

    [Fact]
    public async Task A_failed_refresh_is_not_handed_to_the_next_caller()
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        source.Next(force: false).SetResult(Token("t1"));
        source.Next(force: true).SetResult(new TokenResult(null, new TokenFailure("Tenant not found right now.", "AADSTS90002", 400, false)));
        var failed = await flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None);

        source.Next(force: false).SetResult(Token("t1"));
        source.Next(force: true).SetResult(Token("t2"));
        var retried = await flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None);

        Assert.False(failed.Succeeded);
        Assert.Equal("t2", retried.AccessToken);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("an-earlier-token")]
    public async Task Without_a_rejection_of_the_current_token_nothing_is_refreshed(string? rejected)
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        source.Next(force: false).SetResult(Token("t1"));

        var result = await flights.GetAsync(Source, Scope, rejected, source.AcquireAsync, CancellationToken.None);

        Assert.Equal("t1", result.AccessToken);
        Assert.Equal([(Scope, false)], source.Calls);
    }

    [Fact]
    public async Task A_failed_read_is_returned_without_a_refresh()
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        source.Next(force: false).SetResult(new TokenResult(null, new TokenFailure("Unreachable.", "network", null, true)));

        var result = await flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None);

        Assert.Equal("network", result.Failure?.ErrorCode);
        Assert.DoesNotContain(source.Calls, c => c.Force);
    }

    [Fact]
    public async Task Another_credential_or_scope_has_its_own_refresh()
    {
        var flights = new TokenFlights();
        var source = new ScriptedSource();
        source.Next(force: false).SetResult(Token("t1"));
        source.Next(force: true).SetResult(Token("t2"));
        await flights.GetAsync(Source, Scope, "t1", source.AcquireAsync, CancellationToken.None);

        source.Next(force: false).SetResult(Token("t1"));
        source.Next(force: true).SetResult(Token("other-credential"));
        var otherCredential = await flights.GetAsync("another-credential", Scope, "t1", source.AcquireAsync, CancellationToken.None);
        source.Next(force: false).SetResult(Token("t1"));
        source.Next(force: true).SetResult(Token("other-scope"));
        var otherScope = await flights.GetAsync(Source, "api://other/.default", "t1", source.AcquireAsync, CancellationToken.None);

        Assert.Equal("other-credential", otherCredential.AccessToken);
        Assert.Equal("other-scope", otherScope.AccessToken);
        Assert.Equal(3, source.Calls.Count(c => c.Force));
    }

    private static TokenResult Token(string value) => new(value, null) { ExpiresOn = DateTimeOffset.UnixEpoch.AddHours(1) };

    /// <summary>Answers each request, in order, from the next scripted completion for its kind (read or forced).</summary>
    private sealed class ScriptedSource
    {
        private readonly Queue<TaskCompletionSource<TokenResult>> _reads = new();
        private readonly Queue<TaskCompletionSource<TokenResult>> _refreshes = new();

        public List<(string Scope, bool Force)> Calls { get; } = [];

        public TaskCompletionSource<TokenResult> Next(bool force)
        {
            var next = new TaskCompletionSource<TokenResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            (force ? _refreshes : _reads).Enqueue(next);
            return next;
        }

        public Task<TokenResult> AcquireAsync(string scope, bool force)
        {
            lock (Calls)
            {
                Calls.Add((scope, force));
                return (force ? _refreshes : _reads).Dequeue().Task;
            }
        }
    }
}
