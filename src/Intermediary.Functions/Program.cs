using Intermediary.Configuration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

// ASP.NET Core integration: functions take HttpRequest and return the core's EnvelopeResult (an IActionResult).
builder.ConfigureFunctionsWebApplication();

builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();

// The same registration as the Server host. Function keys are checked by the Functions host itself
// (AuthorizationLevel.Function), so AddIntermediaryFunctionKeys is not used here.
builder.Services.AddIntermediary(builder.Configuration);

// With the in-memory job store (local runs only) jobs run in this worker process; with Azure Storage the
// queue-triggered RunJob function runs them.
if (builder.Configuration.GetSection("Intermediary:Jobs").Get<JobOptions>()?.Store != JobStoreKind.AzureStorage)
{
    builder.Services.AddIntermediaryJobWorker();
}

builder.Build().Run();
