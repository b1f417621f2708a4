using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Integration;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentTests
{
    /// <summary>Tests that set process environment variables run alone.</summary>
    public const string Name = "Process environment";
}

/// <summary>
/// The secretless credentials, end to end: Azure.Identity's real ManagedIdentityCredential finds the simulator's
/// App Service-style identity endpoint through IDENTITY_ENDPOINT/IDENTITY_HEADER, as it would in a Function App.
/// </summary>
[Collection(ProcessEnvironmentTests.Name)]
public sealed class ManagedIdentityTests : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync(new SimulatorOptions { FederatedAssertion = "assertion-from-the-managed-identity" });
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", _simulator.ManagedIdentityEndpoint.AbsoluteUri);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", _simulator.Options.ManagedIdentityHeader);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", null);
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", null);
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task The_managed_identity_token_itself_is_accepted_by_the_api()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new()
        {
            ["Intermediary:Upstreams:demo:Credential"] = "ManagedIdentity",
            ["Intermediary:Upstreams:demo:ClientSecret"] = null,
        });

        var response = await host.GetAsync("api/call/demo/items");

        Assert.True(response.Ok, response.ToString());
        Assert.True(_simulator.ManagedIdentityRequestCount >= 1);
        Assert.Equal(0, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task The_managed_identity_is_a_federated_credential_of_the_app_registration()
    {
        await using var host = await IntermediaryHost.StartAsync(_simulator, new()
        {
            ["Intermediary:Upstreams:demo:Credential"] = "FederatedManagedIdentity",
            ["Intermediary:Upstreams:demo:ClientSecret"] = null,
        });

        var response = await host.GetAsync("api/call/demo/items");

        Assert.True(response.Ok, response.ToString());
        Assert.True(_simulator.ManagedIdentityRequestCount >= 1, "the assertion came from the managed identity");
        Assert.Equal(1, _simulator.TokenRequestCount);
    }

    [Fact]
    public async Task A_managed_identity_failure_is_TokenAcquisitionFailed_not_a_500()
    {
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", "wrong-header");
        try
        {
            await using var host = await IntermediaryHost.StartAsync(_simulator, new()
            {
                ["Intermediary:Upstreams:demo:Credential"] = "ManagedIdentity",
                ["Intermediary:Upstreams:demo:ClientSecret"] = null,
            });

            var response = await host.GetAsync("api/call/demo/items?errorMode=status");

            Assert.Equal("TokenAcquisitionFailed", response.Code);
            Assert.Equal("identity", response.Source);
            Assert.Equal(502, response.StatusCode);
            Assert.Equal(0, _simulator.GatewayRequestCount);
        }
        finally
        {
            Environment.SetEnvironmentVariable("IDENTITY_HEADER", _simulator.Options.ManagedIdentityHeader);
        }
    }
}
