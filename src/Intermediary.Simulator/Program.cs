using System.Globalization;
using System.Runtime.InteropServices;
using Intermediary.Simulator;

if (!TryReadPort(args, "--http-port", 7080, out var httpPort) || !TryReadPort(args, "--https-port", 7443, out var httpsPort)
    || !TryReadValue(args, "--write-settings", out var settingsPath) || !TryReadValue(args, "--storage", out var storage))
{
    await Console.Error.WriteLineAsync("""
        Usage: Intermediary.Simulator [--http-port 7080] [--https-port 7443] [--write-settings PATH [--storage CONNECTION]]
          --http-port/--https-port  0 = any free port
          --write-settings PATH     write a Core Tools local.settings.json pointing the Functions app at this simulator
          --storage CONNECTION      storage for that file (default UseDevelopmentStorage=true, i.e. Azurite)
        """);
    return 2;
}

ApimSimulator simulator;
try
{
    simulator = await ApimSimulator.StartAsync(new SimulatorOptions { HttpPort = httpPort, HttpsPort = httpsPort });
}
catch (IOException e)
{
    await Console.Error.WriteLineAsync($"Could not start the simulator: {e.Message} Choose other ports with --http-port N --https-port N (0 = any free port).");
    return 1;
}

await using var disposeSimulator = simulator;
var options = simulator.Options;
if (settingsPath is not null)
{
    FunctionsLocalSettings.Write(simulator, settingsPath, storage ?? FunctionsLocalSettings.DevelopmentStorage);
    Console.WriteLine($"""
        Wrote {settingsPath}: upstream 'demo' -> this simulator, jobs in {storage ?? "Azurite (UseDevelopmentStorage=true)"},
        trust for this run's certificate (Development only). Keep this running; in another terminal start
        Azurite, then 'func start' in the Functions project folder (http://localhost:{FunctionsLocalSettings.LocalHttpPort}).
        Restarting the simulator makes a new certificate: run this command again, then restart func.

        """);
}

Console.WriteLine($"""
    Intermediary simulator: Entra ID + API Management + demo API (fake credentials, loopback only)

      Gateway (APIM)     {simulator.ApiBaseAddress}
      Authority (Entra)  {simulator.Authority}
      Token endpoint     {simulator.Authority}oauth2/v2.0/token
      Also over HTTPS    {simulator.HttpsBaseAddress} (self-signed, thumbprint {simulator.ServerCertificate.Thumbprint})

      Tenant             {options.TenantId}
      Client id          {options.ClientId}
      Client secret      {options.ClientSecret}
      Scope              {simulator.Scope}
      Subscription key   {options.SubscriptionKey}   (header Ocp-Apim-Subscription-Key)
      Users              {string.Join(", ", options.Users.Select(u => u.Name))}: a user's token for the service with
                         curl -s -d user=alice {simulator.UserTokenEndpoint}
                         (a development grant; the token endpoint exchanges it on-behalf-of the user)

    Demo API (Ocp-Apim-Subscription-Key + Authorization: Bearer required):
      GET  /demo/items            GET /demo/items/{"{id}"}       POST /demo/items {"{"}"name","price"{"}"}
      ANY  /demo/echo             GET /demo/whoami (the identity in the bearer token: user or app)
      GET  /demo/faults/outage?seconds=N   (item reads answer 503 for N seconds)
      GET  /demo/faults/status/{"{code}"}?retryAfter=N   GET|POST /demo/faults/flaky?failures=N&status=503&key=K&retryAfter=S
      GET  /demo/faults/html  slow?seconds=N  reset  invalid-json  ratelimit  quota  text  empty?status=N
      POST /demo/lro/start?seconds=5&style=operation|location&fail=true&operationLocation=URL   (optional JSON body, echoed as "input")
      GET  /demo/lro/operations/{"{id}"}   (style=operation: the Operation-Location status monitor)
      GET  /demo/lro/results/{"{id}"}      (style=location: 202 + Location until done, then the result)
      GET|POST /demo/jobs/slow?seconds=N    (POST echoes its JSON body as "input")

    Press Ctrl+C to stop.
    """);

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
void RequestStop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}

using (PosixSignalRegistration.Create(PosixSignal.SIGINT, RequestStop))
using (PosixSignalRegistration.Create(PosixSignal.SIGTERM, RequestStop))
{
    await stop.Task;
}

Console.WriteLine("Stopping.");
return 0;

static bool TryReadValue(string[] args, string name, out string? value)
{
    value = null;
    var at = Array.IndexOf(args, name);
    if (at < 0)
    {
        return true;
    }

    value = at + 1 < args.Length && !args[at + 1].StartsWith("--", StringComparison.Ordinal) ? args[at + 1] : null;
    return value is not null;
}

static bool TryReadPort(string[] args, string name, int fallback, out int port)
{
    port = fallback;
    for (var i = 0; i < args.Length; i++)
    {
        string? value = null;
        if (args[i] == name && i + 1 < args.Length)
        {
            value = args[i + 1];
        }
        else if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
        {
            value = args[i][(name.Length + 1)..];
        }

        if (value is not null)
        {
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
        }
    }

    return true;
}
