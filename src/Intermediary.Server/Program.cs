using Intermediary.Server;
using Microsoft.AspNetCore.Connections;

await using var app = await IntermediaryServer.CreateAsync(args);
var urls = app.Configuration[WebHostDefaults.ServerUrlsKey];
if (PortCheck.FirstInUse(urls) is { } busy)
{
    return PortInUse(busy);
}

try
{
    await app.StartAsync();
}
catch (IOException e) when (e.InnerException is AddressInUseException)
{
    // Taken between the check and the start.
    return PortInUse(urls);
}

await app.WaitForShutdownAsync();
return 0;

// One line a newcomer can act on instead of Kestrel's stack trace.
static int PortInUse(string? url)
{
    Console.Error.WriteLine($"Cannot listen on {url}: the port is in use by another process. Stop it, or choose another port, e.g. --urls http://127.0.0.1:7072");
    return 1;
}
