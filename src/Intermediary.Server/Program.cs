using Intermediary.Server;

await using var app = await IntermediaryServer.CreateAsync(args);
await app.RunAsync();
