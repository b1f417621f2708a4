using System.Net;
using Intermediary.Caching;
using Intermediary.Configuration;
using Intermediary.Diagnostics;
using Intermediary.Endpoints;
using Intermediary.Jobs;
using Intermediary.Security;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The one registration both hosts call.</summary>
public static class IntermediaryServiceCollectionExtensions
{
    /// <summary>
    /// Registers options (bound from <c>Intermediary</c> and validated at start), tokens, upstream clients with
    /// their resilience pipelines, and the endpoint handlers.
    /// </summary>
    public static IServiceCollection AddIntermediary(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<IntermediaryOptions>()
            .Bind(configuration.GetSection(IntermediaryOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IntermediaryOptions>, IntermediaryOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IntermediaryOptions>, DevelopmentTrustValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<IntermediaryMetrics>();

        return services.AddLogRedaction().AddTokens().AddUpstreams().AddJobs().AddEndpointHandlers();
    }

    /// <summary>
    /// Runs queued jobs in this process (a hosted service): for hosts without a queue trigger, i.e. the Server host.
    /// The Functions host runs them from a queue-triggered function instead.
    /// </summary>
    public static IServiceCollection AddIntermediaryJobWorker(this IServiceCollection services)
    {
        services.AddHostedService<JobDispatcher>();
        return services;
    }

    /// <summary>
    /// For hosts without Functions' own key check (the Server host): requires <c>Intermediary:FunctionKeys</c> at
    /// start-up. <c>MapIntermediary</c> then checks <c>x-functions-key</c> / <c>?code=</c> against them.
    /// </summary>
    public static IServiceCollection AddIntermediaryFunctionKeys(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<IntermediaryOptions>, FunctionKeysValidator>());
        return services;
    }

    /// <summary>
    /// Every logger the host creates goes through a redacting wrapper of the standard factory, so no provider and
    /// no log level can reveal a function key, secret, subscription key or token (see <see cref="LogRedactor"/>).
    /// </summary>
    private static IServiceCollection AddLogRedaction(this IServiceCollection services)
    {
        services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(sp =>
        {
            // Resolved on first use (the options may need the logger factory), then kept: every log call reads it.
            IOptionsMonitor<IntermediaryOptions>? monitor = null;
            return new RedactingLoggerFactory(
                new LoggerFactory(
                    sp.GetServices<ILoggerProvider>(),
                    sp.GetRequiredService<IOptionsMonitor<LoggerFilterOptions>>(),
                    sp.GetService<IOptions<LoggerFactoryOptions>>(),
                    sp.GetService<IExternalScopeProvider>()),
                new LogRedactor(() => (monitor ??= sp.GetService<IOptionsMonitor<IntermediaryOptions>>())?.CurrentValue));
        }));
        return services;
    }

    private static IServiceCollection AddTokens(this IServiceCollection services)
    {
        // MSAL's own HTTP calls: bounded, so a hung identity provider cannot hold a single-flight slot forever.
        services.AddHttpClient(MsalHttpClientFactory.ClientName, client => client.Timeout = TimeSpan.FromSeconds(30))
            .ConfigurePrimaryHttpMessageHandler((handler, sp) =>
            {
                // Validated at start-up: set only in Development, and a parseable certificate.
                var trusted = sp.GetRequiredService<IOptions<IntermediaryOptions>>().Value.DevelopmentTrustedCertificate;
                if (!string.IsNullOrWhiteSpace(trusted) && DevelopmentTrust.Parse(trusted) is { } certificate)
                {
                    DevelopmentTrust.Apply(handler, certificate);
                }
            });
        services.TryAddSingleton<ITokenProvider, TokenProvider>();
        return services;
    }

    private static IServiceCollection AddUpstreams(this IServiceCollection services)
    {
        services.AddHttpClient(UpstreamClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Redirects are answered, not followed: a redirect to a login page must not be fetched with our token.
                AllowAutoRedirect = false,
                UseCookies = false,
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            })
            // Each call is logged once by UpstreamClient and traced; the factory's own request lines and scope are not needed.
            .RemoveAllLoggers();
        services.TryAddSingleton<UpstreamPipelines>();
        services.TryAddSingleton<ResponseBuffers>();
        services.TryAddSingleton(Jitter.Shared);
        services.TryAddSingleton<UpstreamClient>();
        services.TryAddSingleton<CallCache>();
        return services;
    }

    private static IServiceCollection AddJobs(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new AzureStorageClients(sp.GetRequiredService<IOptions<IntermediaryOptions>>().Value.Jobs.Storage));
        services.TryAddSingleton<IJobStore>(sp => Jobs(sp).Store == JobStoreKind.AzureStorage
            ? new AzureJobStore(sp.GetRequiredService<AzureStorageClients>())
            : new InMemoryJobStore(Jobs(sp).Memory));
        services.TryAddSingleton<IJobQueue>(sp => Jobs(sp).Store == JobStoreKind.AzureStorage
            ? new AzureJobQueue(sp.GetRequiredService<AzureStorageClients>(), Jobs(sp).Storage, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<AzureJobQueue>>())
            : new InMemoryJobQueue(sp.GetRequiredService<TimeProvider>()));
        // Jobs acting for a user keep their on-behalf-of session where the job lives.
        services.TryAddSingleton<IUserSessionStore>(sp => sp.GetRequiredService<IJobStore>() as IUserSessionStore
            ?? throw new InvalidOperationException($"The registered {nameof(IJobStore)} does not implement {nameof(IUserSessionStore)}, which OnBehalfOf upstreams need."));
        services.TryAddSingleton<RunningJobs>();
        services.TryAddSingleton<OperationFollower>();
        services.TryAddSingleton(sp => new JobRunner(
            sp.GetRequiredService<IJobStore>(),
            sp.GetRequiredService<UpstreamClient>(),
            sp.GetRequiredService<ITokenProvider>(),
            sp.GetRequiredService<OperationFollower>(),
            sp.GetRequiredService<RunningJobs>(),
            sp.GetRequiredService<IOptions<IntermediaryOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IntermediaryMetrics>(),
            sp.GetRequiredService<ILogger<JobRunner>>()));
        services.TryAddSingleton(sp => new JobMaintenance(
            sp.GetRequiredService<IJobStore>(),
            sp.GetRequiredService<IJobQueue>(),
            sp.GetRequiredService<IOptions<IntermediaryOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<JobMaintenance>>()));
        return services;

        static JobOptions Jobs(IServiceProvider sp) => sp.GetRequiredService<IOptions<IntermediaryOptions>>().Value.Jobs;
    }

    private static IServiceCollection AddEndpointHandlers(this IServiceCollection services)
    {
        // Handlers are public (hosts resolve them) but constructed only here, from internal collaborators.
        services.TryAddSingleton<RequestIntake>();
        services.TryAddSingleton<UserIdentity>();
        services.TryAddSingleton(sp => new CallHandler(
            sp.GetRequiredService<RequestIntake>(),
            sp.GetRequiredService<UserIdentity>(),
            sp.GetRequiredService<CallCache>(),
            sp.GetRequiredService<ILogger<CallHandler>>()));
        // Readiness: one standard health check per configured upstream, known once the options are bound.
        services.AddHealthChecks();
        services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => new ConfigureOptions<HealthCheckServiceOptions>(checks =>
        {
            foreach (var upstream in sp.GetRequiredService<IOptions<IntermediaryOptions>>().Value.Upstreams.Keys)
            {
                checks.Registrations.Add(new HealthCheckRegistration(
                    upstream,
                    provider => new UpstreamHealthCheck(upstream, provider.GetRequiredService<IOptions<IntermediaryOptions>>(), provider.GetRequiredService<ITokenProvider>(),
                        provider.GetRequiredService<IHttpClientFactory>(), provider.GetRequiredService<TimeProvider>()),
                    HealthStatus.Unhealthy,
                    [UpstreamHealthCheck.Tag]));
            }
        }));
        services.TryAddSingleton(sp => new HealthHandler(
            sp.GetRequiredService<HealthCheckService>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<HealthHandler>>()));
        services.TryAddSingleton(sp => new JobHandler(
            sp.GetRequiredService<RequestIntake>(),
            sp.GetRequiredService<UserIdentity>(),
            sp.GetRequiredService<ITokenProvider>(),
            sp.GetRequiredService<IJobStore>(),
            sp.GetRequiredService<IJobQueue>(),
            sp.GetRequiredService<RunningJobs>(),
            sp.GetRequiredService<IOptions<IntermediaryOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<JobHandler>>()));
        return services;
    }
}
