using System.Text.Json;
using Intermediary.Endpoints;
using Intermediary.Server;
using Intermediary.Simulator;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Intermediary.Tests.Infrastructure;

/// <summary>The real Server host on a free loopback port, configured against a simulator, with real MSAL.</summary>
public sealed class IntermediaryHost : IScenarioHost, IAsyncDisposable
{
    public const string FunctionKey = "test-function-key-0123456789";
    private readonly WebApplication _app;

    private IntermediaryHost(WebApplication app, ApimSimulator simulator, CapturingLoggerProvider logs, TestClock? clock)
    {
        _app = app;
        Simulator = simulator;
        Logs = logs;
        Clock = clock;
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/");
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public string Name => "Server";

    public Uri BaseAddress { get; }

    public ApimSimulator Simulator { get; }

    string IScenarioHost.FunctionKey => FunctionKey;

    public bool AnswersMissingKeyWithEnvelope => true;

    public HttpClient Client { get; }

    public CapturingLoggerProvider Logs { get; }

    public TestClock? Clock { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Settings for an upstream named <paramref name="name"/> pointing at the simulator with valid credentials.</summary>
    public static Dictionary<string, string?> UpstreamSettings(ApimSimulator simulator, string name = "demo") =>
        SimulatorUpstream.Settings(simulator, name, "/items", "/faults", "/echo");

    public static async Task<IntermediaryHost> StartAsync(
        ApimSimulator simulator,
        Dictionary<string, string?>? extraSettings = null,
        TestClock? clock = null,
        Action<IServiceCollection>? services = null)
    {
        var settings = UpstreamSettings(simulator);
        settings["Intermediary:FunctionKeys:tests"] = FunctionKey;
        foreach (var (key, value) in extraSettings ?? [])
        {
            settings[key] = value;
        }

        var logs = new CapturingLoggerProvider();
        var app = await IntermediaryServer.CreateAsync(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(logs);
            builder.Services.AddHttpClient(IntermediaryHttpClients.Tokens).ConfigurePrimaryHttpMessageHandler(simulator.CreateTrustingHandler);
            builder.Services.AddSingleton(new Jitter(() => 0.5));
            if (clock is not null)
            {
                builder.Services.AddSingleton<TimeProvider>(clock);
            }

            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        return new IntermediaryHost(app, simulator, logs, clock);
    }

    /// <summary>Calls the service with the function key; time-dependent waits are advanced on the test clock.</summary>
    public async Task<Response> CallAsync(HttpMethod method, string pathAndQuery, Action<HttpRequestMessage>? configure = null, bool withKey = true)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        if (withKey)
        {
            request.Headers.Add("x-functions-key", FunctionKey);
        }

        configure?.Invoke(request);
        var sending = Client.SendAsync(request);
        // Backoff waits are the only timers shorter than 10 s in these tests; timeouts are 20 s and longer.
        using var response = Clock is null ? await sending : await Clock.RunAsync(sending, due => due < TimeSpan.FromSeconds(10));
        var text = await response.Content.ReadAsStringAsync();
        return new Response(response, text);
    }

    public Task<Response> GetAsync(string pathAndQuery, Action<HttpRequestMessage>? configure = null) =>
        CallAsync(HttpMethod.Get, pathAndQuery, configure);

    /// <summary>Sends without pumping the test clock (for jobs, whose waits the test drives itself).</summary>
    public async Task<Response> SendAsync(HttpMethod method, string pathAndQuery, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        request.Headers.Add("x-functions-key", FunctionKey);
        configure?.Invoke(request);
        using var response = await Client.SendAsync(request);
        return new Response(response, await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Polls a job (status mode) until it has ended, optionally advancing the test clock by <paramref name="step"/>
    /// between polls so the job's own waits (backoff, operation polling) pass without real sleeping.
    /// </summary>
    public async Task<Response> WaitForJobAsync(string statusUrl, TimeSpan? step = null)
    {
        for (var i = 0; i < 2000; i++)
        {
            var poll = await SendAsync(HttpMethod.Get, statusUrl + "?errorMode=status");
            if (poll.StatusCode != 202)
            {
                return poll;
            }

            if (step is { } advance)
            {
                Clock!.Advance(advance);
            }

            await Task.Delay(10);
        }

        throw new TimeoutException($"The job at {statusUrl} did not end.");
    }

    Task<Response> IScenarioHost.WaitForJobAsync(string statusUrl) => WaitForJobAsync(statusUrl);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A response read in full: status, headers and the envelope as JSON.</summary>
    public sealed class Response
    {
        public Response(HttpResponseMessage message, string body)
        {
            StatusCode = (int)message.StatusCode;
            Headers = message.Headers.Concat(message.Content.Headers).ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            Body = body;
            // A host's own refusal (the Functions host's 401) has no body; reading an envelope field then throws.
            Envelope = body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
        }

        public int StatusCode { get; }
        public Dictionary<string, string> Headers { get; }
        public string Body { get; }
        public JsonElement Envelope { get; }
        public bool Ok => Envelope.GetProperty("ok").GetBoolean();
        public string Code => Envelope.GetProperty("code").GetString()!;
        public string? Source => Envelope.GetProperty("source").GetString();
        public int Attempts => Envelope.GetProperty("attempts").GetInt32();
        public string Message => Envelope.GetProperty("message").GetString()!;
        public JsonElement Data => Envelope.GetProperty("data");
        public JsonElement Upstream => Envelope.GetProperty("upstream");
        public JsonElement Job => Envelope.GetProperty("job");
        public string JobStatus => Job.GetProperty("status").GetString()!;
        public string StatusUrl => Job.GetProperty("statusUrl").GetString()!;

        public int? RetryAfterSeconds =>
            Envelope.GetProperty("retryAfterSeconds").ValueKind == JsonValueKind.Null ? null : Envelope.GetProperty("retryAfterSeconds").GetInt32();

        public override string ToString() => $"HTTP {StatusCode} {Body}";
    }
}
