using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Intermediary.Simulator.Api;
using Intermediary.Simulator.Entra;
using Intermediary.Simulator.Faults;
using Intermediary.Simulator.Gateway;
using Intermediary.Simulator.Hosting;
using Intermediary.Simulator.Jobs;
using Intermediary.Simulator.Lro;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Intermediary.Simulator;

/// <summary>
/// A real Kestrel server on loopback playing Microsoft Entra ID (token endpoint) and Azure API Management (gateway)
/// in front of a small demo API, with faults a test can script. Its public members are the control surface.
/// </summary>
public sealed class ApimSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SimulatorAddresses _addresses;
    private readonly JwtSigner _signer = new();
    private readonly AccessTokenIssuer _issuer;
    private readonly TokenEndpointScript _tokenScript = new();
    private readonly ManagedIdentityEndpoint _managedIdentity;
    private readonly GatewayTraffic _traffic = new();
    private readonly ItemStore _items = new();
    private readonly BackendScript _backend;
    private readonly FlakyCounters _flaky = new();
    private readonly RateLimitWindows _rateLimits = new();
    private readonly LroStore _operations = new();
    private readonly UserDirectory _users;
    private readonly CancellationTokenSource _stopping = new();
    private bool _started;
    private int _disposed;

    private ApimSimulator(SimulatorOptions options, X509Certificate2 serverCertificate)
    {
        Options = options;
        ServerCertificate = serverCertificate;
        _addresses = new SimulatorAddresses(options);
        _backend = new BackendScript(options.TimeProvider);
        _issuer = new AccessTokenIssuer(options, _addresses, _signer);
        _users = new UserDirectory(options);
        _managedIdentity = new ManagedIdentityEndpoint(options, _issuer);
        _app = Build(options, serverCertificate);

        var entraErrors = new EntraErrorWriter(options, _addresses);
        var tokenEndpoint = new TokenEndpoint(options, _tokenScript, _issuer, _signer, _users, _addresses, entraErrors);
        var gateway = new ApimGateway(
            options,
            _traffic,
            new JwtValidationPolicy(options, _addresses, _signer, _issuer),
            _backend,
            _rateLimits,
            new DemoApi(
                _items,
                _backend,
                new FaultEndpoints(options, _flaky, _rateLimits),
                new LroEndpoints(options, _operations),
                new JobEndpoints(options)));

        _app.Use(CancelOnStopAsync);
        _app.Map("/demo", demo => demo.Run(gateway.HandleAsync));
        new DiscoveryEndpoints(options, _addresses, _signer, entraErrors).Map(_app);
        _app.MapPost("/{tenant}/oauth2/v2.0/token", tokenEndpoint.HandleAsync);
        _app.MapPost(DevelopmentUserTokens.Route, new DevelopmentUserTokens(options, _issuer, _users, entraErrors).HandleAsync);
        _app.MapGet("/msi/token", _managedIdentity.HandleAsync);
        _app.MapGet(DemoApiDocument.Route, DemoApiDocument.WriteAsync);
    }

    public SimulatorOptions Options { get; }

    /// <summary>http://127.0.0.1:PORT/ — the gateway, and everything else, without TLS.</summary>
    public Uri HttpBaseAddress => _addresses.HttpBase;

    /// <summary>https://localhost:PORT/ — the same app over TLS (MSAL insists on an https authority).</summary>
    public Uri HttpsBaseAddress => _addresses.HttpsBase;

    /// <summary>The APIM API's base URL: <see cref="HttpBaseAddress"/> + "demo/".</summary>
    public Uri ApiBaseAddress => new(HttpBaseAddress, "demo/");

    /// <summary>The demo backend's OpenAPI document, as an APIM export would give it.</summary>
    public Uri ApiDocumentAddress => new(HttpBaseAddress, Api.DemoApiDocument.Route.TrimStart('/'));

    /// <summary>The Entra authority, e.g. https://localhost:PORT/sim-tenant/.</summary>
    public Uri Authority => new(HttpsBaseAddress, Options.TenantId + "/");

    /// <summary>The scope the token endpoint accepts: the audience plus "/.default".</summary>
    public string Scope => Options.Audience + "/.default";

    /// <summary>Self-signed certificate of the HTTPS listener, generated at start and installed nowhere.</summary>
    public X509Certificate2 ServerCertificate { get; }

    /// <summary>The development grant that issues a user's token for the service (form fields user, lifetime); see <see cref="IssueUserToken"/>.</summary>
    public Uri UserTokenEndpoint => new(HttpBaseAddress, DevelopmentUserTokens.Route.Replace("{tenant}", Options.TenantId, StringComparison.Ordinal).TrimStart('/'));

    /// <summary>On-behalf-of and refresh-token grants that issued a user's token for the demo API.</summary>
    public int UserTokenExchanges => _users.Exchanges;

    /// <summary>Refresh tokens redeemed: a long-running on-behalf-of session renewing the user's token without the user.</summary>
    public int UserTokenRefreshes => _users.Redeemed;

    /// <summary>POSTs to the token endpoint, whatever their outcome.</summary>
    public int TokenRequestCount => _tokenScript.RequestCount;

    /// <summary>Requests that passed the gateway's checks and reached the demo API.</summary>
    public int ApiRequestCount => _traffic.ApiRequests;

    /// <summary>All requests under /demo, counted before any check.</summary>
    public int GatewayRequestCount => _traffic.GatewayRequests;

    /// <summary>
    /// The App Service-style managed identity endpoint: set IDENTITY_ENDPOINT to this and IDENTITY_HEADER to
    /// <see cref="SimulatorOptions.ManagedIdentityHeader"/> and Azure.Identity's ManagedIdentityCredential uses it.
    /// </summary>
    public Uri ManagedIdentityEndpoint => new(HttpBaseAddress, "msi/token");

    /// <summary>Requests to <see cref="ManagedIdentityEndpoint"/>.</summary>
    public int ManagedIdentityRequestCount => _managedIdentity.RequestCount;

    /// <summary>The identity each accepted managed identity request asked for: a user-assigned client id, or "system".</summary>
    public IReadOnlyCollection<string> ManagedIdentitiesAsked => _managedIdentity.IdentitiesAsked;

    /// <summary>Demo API requests currently being processed, e.g. waiting in /faults/slow.</summary>
    public int InFlightApiRequests => _traffic.InFlight;

    /// <summary>Long-running operations started with POST /demo/lro/start (that reached the backend) since start or <see cref="Reset"/>.</summary>
    public int LroOperationCount => _operations.Started;

    /// <summary>Raw request targets (path and query as sent) of the last 200,000 requests under /demo, checked or not.</summary>
    public IReadOnlyList<string> GatewayTargets => _traffic.Targets;

    /// <summary>Snapshot of the last 5000 requests that reached the demo API, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests => _traffic.Recorded;

    public static async Task<ApimSimulator> StartAsync(SimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SimulatorOptions();
        var certificate = SelfSignedCertificate.Create();
        ApimSimulator? simulator = null;
        try
        {
            simulator = new ApimSimulator(options, certificate);
            await simulator.StartCoreAsync(cancellationToken);
            return simulator;
        }
        catch
        {
            if (simulator is null)
            {
                certificate.Dispose();
            }
            else
            {
                await simulator.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Demo API requests that reached the backend with a path (after "/demo") starting with the prefix, e.g. "/items".</summary>
    public int CountApiRequests(string pathPrefix)
    {
        ArgumentNullException.ThrowIfNull(pathPrefix);
        return _traffic.CountApiRequests(pathPrefix);
    }

    /// <summary>A handler that trusts exactly <see cref="ServerCertificate"/>, for the HttpClient MSAL uses.</summary>
    public HttpMessageHandler CreateTrustingHandler()
    {
        var expected = ServerCertificate.RawData;
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                    certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected),
            },
        };
    }

    /// <summary>Makes validate-jwt reject ("Invalid JWT.") every token issued so far. Survives <see cref="Reset"/>.</summary>
    public void RevokeIssuedTokens() => _issuer.RevokeAll();

    /// <summary>
    /// A user's access token for the service, as a connector that signed the user in would send it: audience
    /// <see cref="SimulatorOptions.ClientId"/>, scope access_as_user, valid for <paramref name="lifetime"/> (default 1 h)
    /// on <see cref="SimulatorOptions.TimeProvider"/>. <paramref name="claims"/> may change its payload before it is
    /// signed, to test how a validator treats a genuine token with unusual claims.
    /// </summary>
    public string IssueUserToken(string user, TimeSpan? lifetime = null, Action<JsonObject>? claims = null) =>
        _issuer.IssueForService(User(user), lifetime ?? TimeSpan.FromHours(1), claims);

    /// <summary>What the token endpoint answers the user's on-behalf-of and refresh requests; cleared by <see cref="Reset"/>.</summary>
    public void ScriptUser(string user, UserChallenge challenge) => _users.Script(User(user), challenge);

    /// <summary>Ends the user's sessions: refresh tokens issued to them so far are refused (AADSTS700082).</summary>
    public void RevokeUserSessions(string user) => _users.RevokeSessions(User(user));

    /// <summary>Makes the token endpoint answer this error to every request; null clears it.</summary>
    public void SetTokenFault(TokenFault? fault) => _tokenScript.Fault = fault;

    /// <summary>Token requests wait (counted on arrival) until every handle returned here is disposed.</summary>
    public IDisposable HoldTokenResponses() => _tokenScript.Hold();

    /// <summary>Demo API requests that passed the gateway wait (counted on arrival) until every handle returned here is disposed.</summary>
    public IDisposable HoldApiResponses() => _backend.Hold();

    /// <summary>
    /// GET /items and /items/{id} answer 503 for <paramref name="duration"/> (on <see cref="SimulatorOptions.TimeProvider"/>), or
    /// until <see cref="EndItemsOutage"/> when null. Over HTTP: <c>GET /demo/faults/outage?seconds=N</c>.
    /// </summary>
    public DateTimeOffset StartItemsOutage(TimeSpan? duration = null) => _backend.StartItemsOutage(duration);

    public void EndItemsOutage() => _backend.EndItemsOutage();

    /// <summary>
    /// Clears counters, recorded requests, flaky counters, rate-limit windows, long-running operations, token faults,
    /// scripted user challenges, holds and the items outage, and reseeds the items.
    /// </summary>
    public void Reset()
    {
        _tokenScript.Reset();
        _backend.Reset();
        _traffic.Reset();
        _flaky.Reset();
        _rateLimits.Reset();
        _items.Reset();
        _operations.Reset();
        _users.Reset();
    }

    private SimulatedUser User(string name) =>
        _users.FindByName(name) ?? throw new ArgumentException($"The simulator has no user '{name}'; it has {string.Join(", ", Options.Users.Select(u => u.Name))}.", nameof(name));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Release requests parked in holds or slow faults first, so shutdown does not wait for a clock that may be fake.
        await _stopping.CancelAsync();
        _tokenScript.Reset();
        _backend.Reset();
        if (_started)
        {
            await _app.StopAsync(CancellationToken.None);
        }

        await _app.DisposeAsync();
        _signer.Dispose();
        ServerCertificate.Dispose();
        _stopping.Dispose();
    }

    private static WebApplication Build(SimulatorOptions options, X509Certificate2 serverCertificate)
    {
        // The empty builder reads no configuration, so the hosting process's appsettings, Kestrel endpoints and
        // ASPNETCORE_* variables cannot leak into the simulator.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ApimSimulator).Assembly.GetName().Name,
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, options.HttpPort);
            kestrel.Listen(IPAddress.Loopback, options.HttpsPort, listen => listen.UseHttps(serverCertificate));
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, InProcessLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        // Warnings and errors only; start failures already reach the caller as exceptions, so the host does not log them too.
        builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning).AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        return builder.Build();
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        await _app.StartAsync(cancellationToken);
        _started = true;

        var bound = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses
            .Select(address => new Uri(address))
            .ToList();
        var httpPort = bound.First(uri => uri.Scheme == Uri.UriSchemeHttp).Port;
        var httpsPort = bound.First(uri => uri.Scheme == Uri.UriSchemeHttps).Port;
        _addresses.HttpBase = new Uri($"http://127.0.0.1:{httpPort}/");
        _addresses.HttpsBase = new Uri($"https://localhost:{httpsPort}/");
    }

    // Every request's RequestAborted also fires when the simulator is disposed; a request cancelled that way is aborted.
    private async Task CancelOnStopAsync(HttpContext context, RequestDelegate next)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        context.RequestAborted = linked.Token;
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            context.Abort();
        }
    }
}
