namespace Intermediary.Endpoints;

/// <summary>Names of the <see cref="IHttpClientFactory"/> clients, for hosts and tests that configure their handlers.</summary>
public static class IntermediaryHttpClients
{
    /// <summary>MSAL's client for the Entra token endpoint.</summary>
    public const string Tokens = Intermediary.Tokens.MsalHttpClientFactory.ClientName;

    /// <summary>The client for calls to upstream APIs.</summary>
    public const string Upstream = Intermediary.Upstream.UpstreamClient.HttpClientName;
}
