using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Identity.Client;

namespace Intermediary.Tests.Simulator;

/// <summary>
/// The simulator's user side, driven by real MSAL: the development grant issues users' tokens for the service, the
/// on-behalf-of grant exchanges them for the demo API (with Entra's consent and Conditional Access failures), the
/// refresh-token grant keeps a long-running session going, and the gateway and /whoami see the user.
/// </summary>
public sealed class OnBehalfOfGrantTests : IAsyncLifetime
{
    private readonly TestClock _clock = new();
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync() => _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock });

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Alice_and_bob_are_exchanged_for_their_own_api_tokens_and_the_backend_sees_each()
    {
        var app = Msal(_simulator);

        var alice = await app.AcquireTokenOnBehalfOf([_simulator.Scope], new UserAssertion(_simulator.IssueUserToken("alice"))).ExecuteAsync();
        var bob = await app.AcquireTokenOnBehalfOf([_simulator.Scope], new UserAssertion(_simulator.IssueUserToken("bob"))).ExecuteAsync();

        var aliceSeen = await WhoAmIAsync(alice.AccessToken);
        var bobSeen = await WhoAmIAsync(bob.AccessToken);
        Assert.Equal(("user", "a11ce000-0000-4000-8000-00000000a11c", "alice@sim-tenant.example"), Identity(aliceSeen));
        Assert.Equal(("user", "b0b00000-0000-4000-8000-000000000b0b", "bob@sim-tenant.example"), Identity(bobSeen));
        Assert.Equal(_simulator.Options.ClientId, aliceSeen.GetProperty("appId").GetString());
        Assert.Equal("Items.Read Items.ReadWrite", aliceSeen.GetProperty("scopes").GetString());
        Assert.Equal(2, _simulator.UserTokenExchanges);
    }

    [Fact]
    public async Task The_same_user_token_again_is_answered_from_msals_cache_and_a_new_one_is_exchanged_again()
    {
        var app = Msal(_simulator);
        var first = _simulator.IssueUserToken("alice");

        var once = await app.AcquireTokenOnBehalfOf([_simulator.Scope], new UserAssertion(first)).ExecuteAsync();
        var again = await app.AcquireTokenOnBehalfOf([_simulator.Scope], new UserAssertion(first)).ExecuteAsync();
        await app.AcquireTokenOnBehalfOf([_simulator.Scope], new UserAssertion(_simulator.IssueUserToken("alice"))).ExecuteAsync();

        Assert.Equal(TokenSource.IdentityProvider, once.AuthenticationResultMetadata.TokenSource);
        Assert.Equal(TokenSource.Cache, again.AuthenticationResultMetadata.TokenSource);
        Assert.Equal(2, _simulator.UserTokenExchanges);
    }

    [Fact]
    public async Task Missing_consent_is_a_ui_required_failure_classified_as_consent()
    {
        _simulator.ScriptUser("alice", UserChallenge.ConsentRequired);

        var error = await Assert.ThrowsAsync<MsalUiRequiredException>(() => Exchange("alice"));

        Assert.Equal(UiRequiredExceptionClassification.ConsentRequired, error.Classification);
        Assert.StartsWith("AADSTS65001:", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _simulator.UserTokenExchanges);
    }

    [Theory]
    [InlineData(UserChallenge.MfaRequired, "AADSTS50076:")]
    [InlineData(UserChallenge.Blocked, "AADSTS53003:")]
    public async Task Conditional_access_answers_with_a_claims_challenge(UserChallenge challenge, string code)
    {
        _simulator.ScriptUser("bob", challenge);

        var error = await Assert.ThrowsAsync<MsalClaimsChallengeException>(() => Exchange("bob"));

        Assert.StartsWith(code, error.Message, StringComparison.Ordinal);
        using var claims = JsonDocument.Parse(error.Claims);
        Assert.Equal("sim-ca-policy", claims.RootElement.GetProperty("access_token").GetProperty("capolids").GetProperty("values")[0].GetString());
        Assert.NotNull(await Exchange("alice"));
    }

    [Fact]
    public async Task An_expired_user_token_or_an_apps_own_token_is_not_exchanged()
    {
        var shortLived = _simulator.IssueUserToken("alice", TimeSpan.FromMinutes(1));
        _clock.Advance(TimeSpan.FromMinutes(2));
        var appToken = await Msal(_simulator).AcquireTokenForClient([_simulator.Scope]).ExecuteAsync();

        var expired = await Assert.ThrowsAsync<MsalUiRequiredException>(() => Exchange(shortLived));
        var notAUser = await Assert.ThrowsAsync<MsalUiRequiredException>(() => Exchange(appToken.AccessToken));

        Assert.StartsWith("AADSTS500133:", expired.Message, StringComparison.Ordinal);
        Assert.StartsWith("AADSTS50013:", notAUser.Message, StringComparison.Ordinal);
        Assert.Contains("audience", notAUser.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_running_session_refreshes_after_the_users_token_has_expired_until_the_session_is_revoked()
    {
        // API tokens shorter than MSAL's five-minute refresh margin: every later call has to refresh.
        await using var simulator = await ApimSimulator.StartAsync(new SimulatorOptions { TimeProvider = _clock, TokenLifetime = TimeSpan.FromMinutes(4) });
        var app = (ILongRunningWebApi)Msal(simulator);
        var sessionKey = "job-42";

        await app.InitiateLongRunningProcessInWebApi([simulator.Scope], simulator.IssueUserToken("alice", TimeSpan.FromMinutes(1)), ref sessionKey).ExecuteAsync();
        _clock.Advance(TimeSpan.FromMinutes(10));
        var later = await app.AcquireTokenInLongRunningProcess([simulator.Scope], sessionKey).ExecuteAsync();
        var seen = await WhoAmIAsync(later.AccessToken, simulator);
        simulator.RevokeUserSessions("alice");
        var ended = await Assert.ThrowsAsync<MsalUiRequiredException>(() => app.AcquireTokenInLongRunningProcess([simulator.Scope], sessionKey).ExecuteAsync());

        Assert.Equal("job-42", sessionKey);
        Assert.Equal(TokenSource.IdentityProvider, later.AuthenticationResultMetadata.TokenSource);
        Assert.Equal("a11ce000-0000-4000-8000-00000000a11c", seen.GetProperty("objectId").GetString());
        Assert.StartsWith("AADSTS700082:", ended.Message, StringComparison.Ordinal);
        Assert.Equal(2, simulator.UserTokenExchanges);
    }

    [Fact]
    public async Task The_gateway_can_limit_each_user_on_their_own()
    {
        _simulator.Options.UserRateLimitCalls = 2;
        var app = Msal(_simulator);
        var alice = (await app.AcquireTokenOnBehalfOf([_simulator.Scope], new UserAssertion(_simulator.IssueUserToken("alice"))).ExecuteAsync()).AccessToken;
        var bob = (await app.AcquireTokenOnBehalfOf([_simulator.Scope], new UserAssertion(_simulator.IssueUserToken("bob"))).ExecuteAsync()).AccessToken;
        var appOnly = (await app.AcquireTokenForClient([_simulator.Scope]).ExecuteAsync()).AccessToken;

        var aliceStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            aliceStatuses.Add(await SendAsync(alice));
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], aliceStatuses);
        Assert.Equal(HttpStatusCode.OK, await SendAsync(bob));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(appOnly));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(appOnly));
        Assert.Equal(HttpStatusCode.OK, await SendAsync(appOnly));
    }

    [Fact]
    public async Task The_development_grant_issues_a_users_token_for_the_service_and_refuses_what_it_cannot()
    {
        using var http = new HttpClient();

        var issued = await PostFormAsync(http, ("user", "alice"), ("lifetime", "600"));
        var unknown = await PostFormAsync(http, ("user", "mallory"));
        var badLifetime = await PostFormAsync(http, ("user", "bob"), ("lifetime", "-5"));
        var nobody = await PostFormAsync(http);

        Assert.Equal(HttpStatusCode.OK, issued.Status);
        Assert.Equal(600, issued.Body.GetProperty("expires_in").GetInt32());
        var claims = Payload(issued.Body.GetProperty("access_token").GetString()!);
        Assert.Equal(_simulator.Options.ClientId, claims.GetProperty("aud").GetString());
        Assert.Equal("access_as_user", claims.GetProperty("scp").GetString());
        Assert.Equal(_simulator.Options.ConnectorClientId, claims.GetProperty("azp").GetString());
        Assert.Equal((HttpStatusCode.BadRequest, "invalid_grant"), (unknown.Status, unknown.Body.GetProperty("error").GetString()));
        Assert.StartsWith("AADSTS50034:", unknown.Body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("AADSTS900144:", badLifetime.Body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Contains("'user'", nobody.Body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => _simulator.IssueUserToken("mallory"));
    }

    private Task<AuthenticationResult> Exchange(string userOrToken) =>
        Msal(_simulator).AcquireTokenOnBehalfOf([_simulator.Scope],
            new UserAssertion(userOrToken.Contains('.', StringComparison.Ordinal) ? userOrToken : _simulator.IssueUserToken(userOrToken))).ExecuteAsync();

    private async Task<HttpStatusCode> SendAsync(string token)
    {
        using var http = new HttpClient();
        using var request = Request(token, "items", _simulator);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private Task<JsonElement> WhoAmIAsync(string token) => WhoAmIAsync(token, _simulator);

    private static async Task<JsonElement> WhoAmIAsync(string token, ApimSimulator simulator)
    {
        using var http = new HttpClient();
        using var request = Request(token, "whoami", simulator);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonElement.Parse(await response.Content.ReadAsStringAsync());
    }

    private static HttpRequestMessage Request(string token, string path, ApimSimulator simulator)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(simulator.ApiBaseAddress, path));
        request.Headers.Add("Ocp-Apim-Subscription-Key", simulator.Options.SubscriptionKey);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostFormAsync(HttpClient http, params (string Name, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        using var response = await http.PostAsync(_simulator.UserTokenEndpoint, content);
        return (response.StatusCode, JsonElement.Parse(await response.Content.ReadAsStringAsync()));
    }

    private static (string?, string?, string?) Identity(JsonElement seen) =>
        (seen.GetProperty("kind").GetString(), seen.GetProperty("objectId").GetString(), seen.GetProperty("username").GetString());

    private static JsonElement Payload(string jwt) => JsonElement.Parse(SimulatorMsal.Payload(jwt));

    private static IConfidentialClientApplication Msal(ApimSimulator simulator) => SimulatorMsal.App(simulator);
}
