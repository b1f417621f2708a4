using Azure.Core;
using Azure.Identity;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Intermediary.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Tokens;

/// <summary>
/// How Azure.Identity's answers become token results, branch by branch. The loopback tests
/// (<c>ManagedIdentityTests</c>) run the real credential against the simulator's managed identity endpoint; the
/// failure shapes Azure.Identity raises are scripted here through its own exception types.
/// </summary>
public sealed class ManagedIdentityTokenSourceTests
{
    private const string Scope = "api://demo-upstream/.default";

    [Fact]
    public async Task A_token_comes_back_with_its_expiry_and_refresh_time_for_exactly_the_scope_asked()
    {
        var expires = new DateTimeOffset(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);
        var refresh = expires.AddMinutes(-30);
        var credential = new ScriptedCredential(_ => new AccessToken("mi-token", expires, refresh));

        var result = await new ManagedIdentityTokenSource(credential).AcquireAsync(Scope, forceRefresh: true);

        Assert.Null(result.Failure);
        Assert.Equal(("mi-token", expires, refresh), (result.AccessToken, result.ExpiresOn, result.RefreshOn));
        Assert.Equal([Scope], Assert.Single(credential.Requests).Scopes);
    }

    [Fact]
    public async Task No_managed_identity_is_a_failure_that_says_so_and_is_not_retried()
    {
        var credential = new ScriptedCredential(_ => throw new CredentialUnavailableException("ManagedIdentityCredential authentication unavailable. No response received from the managed identity endpoint."));

        var failure = (await new ManagedIdentityTokenSource(credential).AcquireAsync(Scope, false)).Failure;

        Assert.NotNull(failure);
        Assert.Equal("Could not get an access token: no managed identity is available to this app.", failure.Message);
        Assert.Equal(("ManagedIdentityUnavailable", (int?)null, false), (failure.ErrorCode, failure.HttpStatus, failure.Retryable));
    }

    [Theory]
    [InlineData("ManagedIdentityCredential authentication failed: AADSTS700213: No matching federated identity record found. Trace ID: 0f1e", "AADSTS700213", "Could not get an access token with the managed identity (AADSTS700213).")]
    [InlineData("ManagedIdentityCredential authentication failed: the endpoint answered 500.", null, "Could not get an access token with the managed identity.")]
    public async Task A_refused_managed_identity_is_retryable_with_the_entra_code_and_nothing_else_of_its_message(string message, string? code, string expected)
    {
        var credential = new ScriptedCredential(_ => throw new AuthenticationFailedException(message));

        var failure = (await new ManagedIdentityTokenSource(credential).AcquireAsync(Scope, false)).Failure;

        Assert.NotNull(failure);
        Assert.Equal(expected, failure.Message);
        Assert.Equal((code, true), (failure.ErrorCode, failure.Retryable));
        Assert.DoesNotContain("Trace ID", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>A credential that answers as scripted and records what it was asked.</summary>
    private sealed class ScriptedCredential(Func<TokenRequestContext, AccessToken> answer) : TokenCredential
    {
        public List<TokenRequestContext> Requests { get; } = [];

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            Requests.Add(requestContext);
            return answer(requestContext);
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(GetToken(requestContext, cancellationToken));
    }
}

/// <summary>
/// Which managed identity is asked for: the real ManagedIdentityCredential against the simulator's App Service-style
/// identity endpoint (found through IDENTITY_ENDPOINT/IDENTITY_HEADER, so these run apart from other tests).
/// </summary>
[Collection(Integration.ProcessEnvironmentTests.Name)]
public sealed class ManagedIdentitiesTests : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;

    // Azure.Identity keeps managed identity tokens in a cache shared by the whole process: an audience of its own per
    // test makes every request here reach the endpoint.
    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { Audience = $"api://managed-identity-test-{Guid.NewGuid():N}" });
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", _simulator.ManagedIdentityEndpoint.AbsoluteUri);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", _simulator.Options.ManagedIdentityHeader);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", null);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", null);
        await _simulator.DisposeAsync();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Without_a_client_id_the_apps_system_assigned_identity_is_asked(string? clientId)
    {
        var result = await new ManagedIdentityTokenSource(ManagedIdentities.For(clientId)).AcquireAsync(_simulator.Scope, false);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal(["system"], _simulator.ManagedIdentitiesAsked);
        Assert.Contains(_simulator.Options.ManagedIdentityClientId, SimulatorMsal.Payload(result.AccessToken!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_client_id_that_user_assigned_identity_is_asked()
    {
        var assigned = _simulator.Options.UserAssignedIdentityClientIds[0];

        var result = await new ManagedIdentityTokenSource(ManagedIdentities.For(assigned)).AcquireAsync(_simulator.Scope, false);
        var unknown = await new ManagedIdentityTokenSource(ManagedIdentities.For("0a551900-0000-4000-8000-0000000000ff")).AcquireAsync(_simulator.Scope, false);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal([assigned], _simulator.ManagedIdentitiesAsked);
        Assert.Contains(assigned, SimulatorMsal.Payload(result.AccessToken!), StringComparison.Ordinal);
        Assert.False(unknown.Succeeded);
        Assert.StartsWith("Could not get an access token with the managed identity", unknown.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upstream_with_the_managed_identity_credential_gets_its_token_from_that_identity()
    {
        var assigned = _simulator.Options.UserAssignedIdentityClientIds[0];
        var settings = SimulatorUpstream.Settings(_simulator, "api", "/items");
        settings["Intermediary:Upstreams:api:Credential"] = "ManagedIdentity";
        settings["Intermediary:Upstreams:api:ClientSecret"] = null;
        settings["Intermediary:Upstreams:api:ManagedIdentityClientId"] = assigned;
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddIntermediary(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        await using var provider = services.BuildServiceProvider();

        var result = await provider.GetRequiredService<ITokenProvider>().GetTokenAsync("api", null, CancellationToken.None);

        Assert.True(result.Succeeded, result.Failure?.Message);
        Assert.Equal([assigned], _simulator.ManagedIdentitiesAsked);
        Assert.Equal(0, _simulator.TokenRequestCount);
    }
}
