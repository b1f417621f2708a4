using Intermediary.Configuration;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Identity.Client;

namespace Intermediary.Tests.Tokens;

/// <summary>
/// The two halves of an on-behalf-of call, against the simulator's tenant with real MSAL and Microsoft's token
/// libraries: checking the caller's user token, and exchanging it for the upstream's scope.
/// </summary>
public sealed class OnBehalfOfTests : IAsyncLifetime, IDisposable
{
    private const string AliceId = "a11ce000-0000-4000-8000-00000000a11c";
    private readonly TestClock _clock = new();
    private readonly CapturingLoggerProvider _logs = new();
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock });

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task A_users_token_for_this_service_checks_out_as_that_user()
    {
        var token = _simulator.IssueUserToken("alice");

        var validation = await Validator().ValidateAsync("Bearer " + token);

        Assert.Null(validation.Problem);
        Assert.Equal(AliceId, validation.User!.ObjectId);
        Assert.Equal("sim-tenant", validation.User.TenantId);
        Assert.Equal(token, validation.User.Token);
        Assert.DoesNotContain(token, validation.User.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer ")]
    [InlineData("Bearer    ")]
    [InlineData("Basic YWxpY2U6cGFzc3dvcmQ=")]
    public async Task No_bearer_token_is_Missing(string? authorization)
    {
        Assert.Equal(UserTokenProblem.Missing, (await Validator().ValidateAsync(authorization)).Problem);
    }

    [Fact]
    public async Task A_token_past_its_expiry_and_the_clock_skew_is_Expired()
    {
        var token = _simulator.IssueUserToken("alice", TimeSpan.FromMinutes(10));
        var validator = Validator();

        _clock.Advance(TimeSpan.FromMinutes(11));
        var withinSkew = await validator.ValidateAsync("Bearer " + token);
        _clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var expired = await validator.ValidateAsync("Bearer " + token);

        Assert.Null(withinSkew.Problem);
        Assert.Equal(UserTokenProblem.Expired, expired.Problem);
    }

    [Fact]
    public async Task Tokens_that_are_not_for_this_service_or_not_genuine_are_Invalid()
    {
        var alice = _simulator.IssueUserToken("alice");
        var parts = alice.Split('.');
        var forgedPayload = parts[1][..^4] + (parts[1][^4..] == "AAAA" ? "BBBB" : "AAAA");
        var appToken = (await Msal().AcquireTokenForClient([_simulator.Scope]).ExecuteAsync()).AccessToken;
        var unsigned = parts[0].Replace("UlMyNTY", "bm9uZQ", StringComparison.Ordinal) + "." + parts[1] + ".";

        var validator = Validator();
        Assert.Equal(UserTokenProblem.Invalid, (await validator.ValidateAsync($"Bearer {parts[0]}.{forgedPayload}.{parts[2]}")).Problem);
        Assert.Equal(UserTokenProblem.Invalid, (await validator.ValidateAsync("Bearer " + appToken)).Problem);
        Assert.Equal(UserTokenProblem.Invalid, (await validator.ValidateAsync("Bearer " + unsigned)).Problem);
        Assert.Equal(UserTokenProblem.Invalid, (await validator.ValidateAsync("Bearer not-a-jwt")).Problem);
        Assert.Equal(UserTokenProblem.Invalid, (await Validator(audience: "api://someone-else").ValidateAsync("Bearer " + alice)).Problem);
        Assert.DoesNotContain(_logs.Lines, line => line.Contains(alice, StringComparison.Ordinal) || line.Contains(appToken, StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, line => line.Contains("refused: Invalid (SecurityTokenInvalidAudienceException)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_user_of_another_tenant_or_without_the_required_scope_is_refused()
    {
        var token = "Bearer " + _simulator.IssueUserToken("alice");

        Assert.Equal(UserTokenProblem.WrongTenant, (await Validator(tenant: "another-tenant").ValidateAsync(token)).Problem);
        Assert.Equal(UserTokenProblem.MissingScope, (await Validator(scope: "Items.Admin").ValidateAsync(token)).Problem);
    }

    [Fact]
    public async Task The_scheme_is_read_in_any_case_and_spaces_around_the_token_are_ignored()
    {
        var token = _simulator.IssueUserToken("alice");

        var validation = await Validator().ValidateAsync("bearer   " + token + "  ");

        Assert.Null(validation.Problem);
        Assert.Equal(token, validation.User!.Token);
    }

    [Fact]
    public async Task Expiry_is_exact_to_the_second_once_the_clock_skew_has_passed()
    {
        var token = "Bearer " + _simulator.IssueUserToken("alice", TimeSpan.FromMinutes(10));
        var validator = Validator();

        _clock.Advance(TimeSpan.FromMinutes(12) - TimeSpan.FromSeconds(1));
        var lastSecond = await validator.ValidateAsync(token);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var atSkew = await validator.ValidateAsync(token);

        Assert.Null(lastSecond.Problem);
        Assert.Equal(UserTokenProblem.Expired, atSkew.Problem);
        Assert.Contains(_logs.Lines, line => line.Contains("refused: Expired (SecurityTokenExpiredException)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(60, null)]
    [InlineData(120, null)]
    [InlineData(121, "Invalid")]
    public async Task A_token_from_an_issuer_whose_clock_runs_ahead_is_accepted_within_the_clock_skew(int secondsAhead, string? expected)
    {
        var ourClock = new TestClock();
        _clock.Advance(TimeSpan.FromSeconds(secondsAhead));
        var token = _simulator.IssueUserToken("alice");

        var validation = await Validator(time: ourClock).ValidateAsync("Bearer " + token);

        Assert.Equal(expected, validation.Problem?.ToString());
    }

    [Fact]
    public async Task The_tenant_is_compared_without_regard_to_case()
    {
        var validation = await Validator(tenant: "SIM-TENANT").ValidateAsync("Bearer " + _simulator.IssueUserToken("alice"));

        Assert.Null(validation.Problem);
    }

    [Theory]
    [InlineData("Files.Read access_as_user", null)]
    [InlineData("access_as_user Files.Read", null)]
    [InlineData("access_as_user_admin", "MissingScope")]
    [InlineData("Access_As_User", "MissingScope")]
    [InlineData("", "MissingScope")]
    public async Task The_required_scope_must_be_one_of_the_tokens_scopes_exactly(string scopes, string? expected)
    {
        var token = _simulator.IssueUserToken("alice", claims: payload => payload["scp"] = scopes);

        Assert.Equal(expected, (await Validator().ValidateAsync("Bearer " + token)).Problem?.ToString());
    }

    [Theory]
    [InlineData("scp")]
    [InlineData("oid")]
    public async Task A_token_without_a_delegated_scope_or_a_user_object_id_has_no_user_to_act_for(string missing)
    {
        var token = _simulator.IssueUserToken("alice", claims: payload => payload.Remove(missing));

        Assert.Equal(UserTokenProblem.NotAUser, (await Validator().ValidateAsync("Bearer " + token)).Problem);
        Assert.Contains(_logs.Lines, line => line.Contains("refused: NotAUser (claims)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_applications_own_token_for_this_service_has_no_user_to_act_for()
    {
        var appToken = (await Msal().AcquireTokenForClient([_simulator.Scope]).ExecuteAsync()).AccessToken;

        var validation = await Validator(audience: _simulator.Options.Audience).ValidateAsync("Bearer " + appToken);

        Assert.Equal(UserTokenProblem.NotAUser, validation.Problem);
    }

    [Fact]
    public async Task Missing_options_authority_or_user_are_argument_errors_not_null_references()
    {
        using var client = new HttpClient();
        var logger = NullLogger<UserTokenValidator>.Instance;
        var source = new OnBehalfOfTokenSource(Msal());

        Assert.Throws<ArgumentNullException>(() => new UserTokenValidator(null!, client, _clock, logger));
        Assert.Throws<ArgumentNullException>(() => new UserTokenValidator(new UserTokenOptions(), client, _clock, logger));
        await Assert.ThrowsAsync<ArgumentNullException>(() => source.AcquireAsync(_simulator.Scope, null!, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentNullException>(() => source.StartSessionAsync(_simulator.Scope, null!, "job"));
    }

    [Fact]
    public async Task The_signing_keys_are_only_read_over_https()
    {
        var token = _simulator.IssueUserToken("alice");
        var overHttp = new UriBuilder(_simulator.Authority) { Scheme = "http", Port = _simulator.HttpBaseAddress.Port }.Uri;

        var validation = await Validator(authority: overHttp).ValidateAsync("Bearer " + token);

        Assert.Equal(UserTokenProblem.Invalid, validation.Problem);
    }

    [Fact]
    public async Task Alice_and_bob_are_exchanged_for_their_own_tokens()
    {
        var source = new OnBehalfOfTokenSource(Msal());

        var alice = await source.AcquireAsync(_simulator.Scope, await UserAsync("alice"), CancellationToken.None);
        var bob = await source.AcquireAsync(_simulator.Scope, await UserAsync("bob"), CancellationToken.None);
        var aliceAgain = await source.AcquireAsync(_simulator.Scope, (await Validator().ValidateAsync("Bearer " + _simulator.IssueUserToken("alice"))).User!, CancellationToken.None);

        Assert.True(alice.Succeeded && bob.Succeeded && aliceAgain.Succeeded);
        Assert.NotEqual(alice.AccessToken, bob.AccessToken);
        Assert.Contains(AliceId, Payload(alice.AccessToken!), StringComparison.Ordinal);
        Assert.Contains("b0b00000-0000-4000-8000-000000000b0b", Payload(bob.AccessToken!), StringComparison.Ordinal);
        Assert.Equal(3, _simulator.UserTokenExchanges);
    }

    [Fact]
    public async Task Five_hundred_concurrent_calls_with_one_users_token_make_one_exchange()
    {
        var source = new OnBehalfOfTokenSource(Msal());
        var alice = await UserAsync("alice");

        Task<TokenResult>[] calls;
        using (_simulator.HoldTokenResponses())
        {
            // Every caller joins before the held exchange can answer: the launches below run synchronously up to the join.
            calls = [.. Enumerable.Range(0, 500).Select(_ => source.AcquireAsync(_simulator.Scope, alice, CancellationToken.None))];
            await Eventually.True(() => _simulator.TokenRequestCount == 1, "the exchange reached the token endpoint");
            Assert.Equal(1, source.InFlight);
        }

        var results = await Task.WhenAll(calls);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure?.Message));
        Assert.Single(results.Select(r => r.AccessToken).Distinct());
        Assert.Equal(1, _simulator.UserTokenExchanges);
        Assert.Equal(1, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task Consent_and_conditional_access_failures_say_what_the_user_must_do()
    {
        var source = new OnBehalfOfTokenSource(Msal());
        _simulator.ScriptUser("alice", UserChallenge.ConsentRequired);
        _simulator.ScriptUser("bob", UserChallenge.MfaRequired);

        var consent = (await source.AcquireAsync(_simulator.Scope, await UserAsync("alice"), CancellationToken.None)).Failure!;
        var mfa = (await source.AcquireAsync(_simulator.Scope, await UserAsync("bob"), CancellationToken.None)).Failure!;

        Assert.Equal((TokenFailureKind.ConsentRequired, "AADSTS65001", false), (consent.Kind, consent.ErrorCode, consent.Retryable));
        Assert.StartsWith("The user has not consented", consent.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Trace ID", consent.Message, StringComparison.Ordinal);
        Assert.Equal((TokenFailureKind.InteractionRequired, "AADSTS50076", false, 400), (mfa.Kind, mfa.ErrorCode, mfa.Retryable, mfa.HttpStatus));
        Assert.Equal(400, consent.HttpStatus);
        Assert.StartsWith("The user must sign in again to satisfy a policy: AADSTS50076", mfa.Message, StringComparison.Ordinal);
        Assert.Contains("\"sim-ca-policy\"", mfa.Claims, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("AADSTS65001", nameof(TokenFailureKind.ConsentRequired), "The user has not consented to this service calling the upstream for them")]
    [InlineData("AADSTS500133", nameof(TokenFailureKind.Unauthenticated), "The user's sign-in can no longer be used")]
    [InlineData("AADSTS50013", nameof(TokenFailureKind.Unauthenticated), "The user's sign-in can no longer be used")]
    [InlineData("AADSTS700082", nameof(TokenFailureKind.Unauthenticated), "The user's sign-in can no longer be used")]
    [InlineData("AADSTS50173", nameof(TokenFailureKind.Unauthenticated), "The user's sign-in can no longer be used")]
    [InlineData("AADSTS50079", nameof(TokenFailureKind.InteractionRequired), "Could not get an access token on behalf of the user")]
    public void Entras_code_alone_says_who_acts_when_MSAL_gives_no_classification_or_claims(string code, string kind, string start)
    {
        // As MSAL reports an answer without suberror or claims: classification None, no HTTP status.
        var failure = OnBehalfOfTokenSource.ForUser(new MsalUiRequiredException("invalid_grant", $"{code}: Something about the user. Trace ID: 1"));

        Assert.Equal((kind, code, false, (int?)null), (failure.Kind.ToString(), failure.ErrorCode, failure.Retryable, failure.HttpStatus));
        Assert.Equal($"{start}: {code}: Something about the user.", failure.Message);
        Assert.Null(failure.Claims);
    }

    [Fact]
    public async Task A_user_token_that_expired_after_it_was_checked_means_signing_in_again()
    {
        var source = new OnBehalfOfTokenSource(Msal());
        var alice = (await Validator().ValidateAsync("Bearer " + _simulator.IssueUserToken("alice", TimeSpan.FromMinutes(1)))).User!;
        _clock.Advance(TimeSpan.FromMinutes(5));

        var failure = (await source.AcquireAsync(_simulator.Scope, alice, CancellationToken.None)).Failure!;

        Assert.Equal((TokenFailureKind.Unauthenticated, "AADSTS500133"), (failure.Kind, failure.ErrorCode));
    }

    [Fact]
    public async Task The_services_own_credential_failing_is_the_operators_problem()
    {
        var source = new OnBehalfOfTokenSource(Msal(secret: "wrong-secret-value"));

        var failure = (await source.AcquireAsync(_simulator.Scope, await UserAsync("alice"), CancellationToken.None)).Failure!;

        Assert.Equal((TokenFailureKind.TokenAcquisitionFailed, "AADSTS7000215", 401), (failure.Kind, failure.ErrorCode, failure.HttpStatus));
        Assert.DoesNotContain("wrong-secret-value", failure.Message, StringComparison.Ordinal);
    }

    private async Task<ValidatedUser> UserAsync(string name) =>
        (await Validator().ValidateAsync("Bearer " + _simulator.IssueUserToken(name))).User!;

    private UserTokenValidator Validator(
        string? audience = null, string tenant = "sim-tenant", string scope = "access_as_user", TimeProvider? time = null, Uri? authority = null)
    {
        var options = new UserTokenOptions { Authority = new Uri(authority ?? _simulator.Authority, "v2.0"), TenantId = tenant, RequiredScope = scope };
        options.Audiences.Add(audience ?? _simulator.Options.ClientId);
        var loggers = LoggerFactory.Create(builder => builder.AddProvider(_logs));
        return new UserTokenValidator(
            options, new HttpClient(_simulator.CreateTrustingHandler()), time ?? _clock, loggers.CreateLogger<UserTokenValidator>());
    }

    private IConfidentialClientApplication Msal(string? secret = null) => SimulatorMsal.App(_simulator, secret);

    private static string Payload(string jwt) => SimulatorMsal.Payload(jwt);
}
