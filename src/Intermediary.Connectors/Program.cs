using Intermediary.Connectors;

return await GeneratorCommand.RunAsync(args, Console.Out, Console.Error);
