using Intermediary.Endpoints;

namespace Intermediary.Server;

/// <summary>
/// The Intermediary endpoints on plain ASP.NET Core (Kestrel): for local runs, containers and tests. The same
/// routes, envelope and configuration keys as the Functions host; caller keys are checked here instead of by Functions.
/// </summary>
public static class IntermediaryServer
{
    public const string DefaultUrl = "http://localhost:7071";

    /// <summary>Builds the app; <paramref name="configure"/> lets tests and embedders adjust the builder last.</summary>
    public static async Task<WebApplication> CreateAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var demo = args.Contains("--demo", StringComparer.OrdinalIgnoreCase);
        var hostArgs = args.Where(a => !a.Equals("--demo", StringComparison.OrdinalIgnoreCase)).ToArray();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = hostArgs, ContentRootPath = ContentRoot(hostArgs) });
        // Where nothing says where to listen: the tour's port. The standard settings win: urls / ASPNETCORE_URLS, and
        // the ports settings container images use (ASPNETCORE_HTTP_PORTS=8080 in the .NET base images).
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey])
            && string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.HttpPortsKey])
            && string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.HttpsPortsKey]))
        {
            builder.WebHost.UseUrls(demo ? "http://127.0.0.1:7071" : DefaultUrl);
        }

        DemoMode? demoMode = demo ? await DemoMode.StartAsync(builder, cancellationToken) : null;

        builder.WebHost.ConfigureKestrel((context, kestrel) => KestrelLimits.Apply(kestrel, context.Configuration));
        builder.Services.AddIntermediary(builder.Configuration);
        builder.Services.AddIntermediaryFunctionKeys();
        builder.Services.AddIntermediaryJobWorker();
        configure?.Invoke(builder);
        // After the caller's adjustments, which may add the telemetry settings.
        Telemetry.Configure(builder);

        var app = builder.Build();
        app.UseIntermediaryEnvelopes();
        app.MapIntermediary();

        if (demoMode is not null)
        {
            app.Lifetime.ApplicationStarted.Register(() => demoMode.PrintTour(app.Urls));
            app.Lifetime.ApplicationStopped.Register(() => demoMode.DisposeAsync().AsTask().GetAwaiter().GetResult());
        }

        return app;
    }

    /// <summary>
    /// The app's own folder, so <c>dotnet /app/Intermediary.Server.dll</c> reads its appsettings.json from whatever
    /// folder it is started in (ASP.NET Core's default is the current directory: elsewhere, every framework
    /// Information line would be written per request). An explicit content root (--contentRoot, ASPNETCORE_CONTENTROOT)
    /// still wins.
    /// </summary>
    private static string? ContentRoot(string[] args) =>
        args.Any(a => a.StartsWith("--contentRoot", StringComparison.OrdinalIgnoreCase) || a.StartsWith("--" + WebHostDefaults.ContentRootKey, StringComparison.OrdinalIgnoreCase))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
        || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"))
            ? null
            : AppContext.BaseDirectory;
}
