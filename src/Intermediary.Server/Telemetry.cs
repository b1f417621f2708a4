using Azure.Monitor.OpenTelemetry.AspNetCore;
using Intermediary.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Intermediary.Server;

/// <summary>
/// OpenTelemetry export for the Server host, switched on by the standard settings: Application Insights when
/// APPLICATIONINSIGHTS_CONNECTION_STRING is set, any OTLP backend when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// Traces and metrics cover ASP.NET Core, HttpClient (upstream and token calls) and the service's own
/// "Intermediary" source and meter.
/// </summary>
internal static class Telemetry
{
    public static void Configure(WebApplicationBuilder builder)
    {
        var appInsights = !string.IsNullOrWhiteSpace(builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"]);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!appInsights && !otlp)
        {
            return;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(IntermediaryDiagnostics.Name))
            .WithMetrics(metrics => metrics.AddMeter(IntermediaryDiagnostics.Name, IntermediaryDiagnostics.ResilienceMeter));
        if (appInsights)
        {
            // The distro adds the ASP.NET Core and HttpClient instrumentation itself.
            telemetry.UseAzureMonitor();
        }
        else
        {
            telemetry
                .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation())
                .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation());
        }

        if (otlp)
        {
            telemetry.UseOtlpExporter();
        }
    }
}
