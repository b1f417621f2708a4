using Microsoft.Identity.Client;

namespace Intermediary.Tokens;

/// <summary>Gives MSAL the named <see cref="HttpClient"/> so hosts and tests control its handler (proxies, trust).</summary>
internal sealed class MsalHttpClientFactory(IHttpClientFactory httpClientFactory) : IMsalHttpClientFactory
{
    public const string ClientName = "Intermediary.Tokens";

    public HttpClient GetHttpClient() => httpClientFactory.CreateClient(ClientName);
}
