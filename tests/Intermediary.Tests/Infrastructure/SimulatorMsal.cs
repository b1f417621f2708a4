using System.Text;
using Intermediary.Simulator;
using Microsoft.Identity.Client;

namespace Intermediary.Tests.Infrastructure;

/// <summary>Real MSAL pointed at a simulator's tenant (trusting exactly its certificate), and a look inside its tokens.</summary>
public static class SimulatorMsal
{
    public static IConfidentialClientApplication App(ApimSimulator simulator, string? secret = null) =>
        ConfidentialClientApplicationBuilder.Create(simulator.Options.ClientId)
            .WithClientSecret(secret ?? simulator.Options.ClientSecret)
            .WithAuthority(simulator.Authority.AbsoluteUri, validateAuthority: false)
            .WithInstanceDiscovery(false)
            .WithHttpClientFactory(new TrustingFactory(new HttpClient(simulator.CreateTrustingHandler())))
            .Build();

    /// <summary>The JSON payload of a JWT, as text.</summary>
    public static string Payload(string jwt)
    {
        var part = jwt.Split('.')[1].Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(part.PadRight(part.Length + ((4 - (part.Length % 4)) % 4), '=')));
    }

    // The client lives as long as the MSAL app, as MSAL expects of a factory's client.
    private sealed class TrustingFactory(HttpClient client) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => client;
    }
}
