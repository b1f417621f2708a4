using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Intermediary.Diagnostics;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Intermediary.Functions;

/// <summary>
/// OpenTelemetry export from the worker, switched on by the same standard settings as the Server host:
/// Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set, any OTLP backend when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set. The worker's defaults correlate its spans with the host's invocation;
/// traces and metrics add the service's own "Intermediary" source and meter and the upstream/token HTTP calls.
/// host.json's telemetryMode makes the host itself export through OpenTelemetry too.
/// </summary>
internal static class Telemetry
{
    public static void Configure(IServiceCollection services, IConfiguration configuration)
    {
        var appInsights = !string.IsNullOrWhiteSpace(configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!appInsights && !otlp)
        {
            return;
        }

        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(IntermediaryDiagnostics.Name).AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics.AddMeter(IntermediaryDiagnostics.Name, IntermediaryDiagnostics.ResilienceMeter).AddHttpClientInstrumentation());
        if (appInsights)
        {
            // Entra-authenticated ingestion (the Bicep template disables local auth): the same managed identity the
            // host uses, named by the host's APPLICATIONINSIGHTS_AUTHENTICATION_STRING ("ClientId=...;Authorization=AAD").
            var clientId = ApplicationInsightsAuthentication.ClientId(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
            telemetry.UseAzureMonitorExporter(options =>
            {
                if (clientId is not null)
                {
                    options.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
                }
            });
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }
    }
}
