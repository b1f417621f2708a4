using Intermediary.Configuration;
using Intermediary.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);

// ASP.NET Core integration: functions take HttpRequest and return the core's EnvelopeResult (an IActionResult).
builder.ConfigureFunctionsWebApplication();

Telemetry.Configure(builder.Services, builder.Configuration);

// The same registration as the Server host. Function keys are checked by the Functions host itself
// (AuthorizationLevel.Function), so AddIntermediaryFunctionKeys is not used here.
builder.Services.AddIntermediary(builder.Configuration);

// With the in-memory job store (local runs only) jobs run in this worker process; with Azure Storage the
// queue-triggered RunJob function runs them.
// Read as text: a misspelt value is reported by options validation (naming the key), not as a binder stack trace here.
if (!string.Equals(builder.Configuration["Intermediary:Jobs:Store"], nameof(JobStoreKind.AzureStorage), StringComparison.OrdinalIgnoreCase))
{
    builder.Services.AddIntermediaryJobWorker();
}

builder.Build().Run();
