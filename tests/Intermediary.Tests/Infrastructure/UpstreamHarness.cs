using Intermediary.Endpoints;
using Intermediary.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// The real DI graph with a scripted upstream handler, no token (Credential=None, unless the settings say otherwise) and a
/// test clock; <c>services</c> adds to it (a token endpoint, a logger) before it is built.
/// </summary>
public sealed class UpstreamHarness : IDisposable
{
    private readonly ServiceProvider _provider;

    public UpstreamHarness(ScriptedHandler handler, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["Intermediary:Upstreams:api:BaseUrl"] = "http://upstream.test/base/",
            ["Intermediary:Upstreams:api:AllowedPaths:0"] = "/",
            ["Intermediary:Upstreams:api:Credential"] = "None",
            ["Intermediary:Upstreams:api:SubscriptionKey"] = "harness-subscription-key",
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(Clock);
        collection.AddSingleton(new Jitter(() => 0.5));
        collection.AddIntermediary(configuration);
        collection.AddHttpClient(IntermediaryHttpClients.Upstream).ConfigurePrimaryHttpMessageHandler(() => handler);
        services?.Invoke(collection);
        _provider = collection.BuildServiceProvider();
    }

    public TestClock Clock { get; } = new();

    internal UpstreamClient Client => _provider.GetRequiredService<UpstreamClient>();

    public IServiceProvider Services => _provider;

    internal Intermediary.Configuration.IntermediaryOptions Options =>
        _provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<Intermediary.Configuration.IntermediaryOptions>>().Value;

    internal Task<Intermediary.Envelopes.Envelope> SendAsync(HttpMethod method, string path = "/items", params (string Name, string Value)[] headers)
    {
        var request = new UpstreamRequest("api", method, path, null, headers.Select(h => KeyValuePair.Create(h.Name, h.Value)).ToList(),
            method == HttpMethod.Post ? new byte[] { (byte)'{', (byte)'}' } : null, "corr-1");
        // Every timer except the attempt and total timeouts is a backoff wait to skip through.
        var resilience = Options.Upstreams["api"].Resilience;
        return Clock.RunAsync(SendEnvelopeAsync(request),
            due => due != resilience.AttemptTimeout && due != resilience.TotalTimeout);
    }

    public void Dispose() => _provider.Dispose();

    private async Task<Intermediary.Envelopes.Envelope> SendEnvelopeAsync(UpstreamRequest request) =>
        (await Client.SendAsync(request, budget: null, CancellationToken.None)).Envelope;
}
