namespace Intermediary.Connectors;

/// <summary>The command line: <c>intermediary-connector --openapi FILE|URL --upstream NAME --out FOLDER [...]</c>.</summary>
internal static class GeneratorCommand
{
    public const string Usage = """
        Generates a typed Power Platform custom connector for one Intermediary upstream from that upstream's OpenAPI document.

        Usage:
          intermediary-connector --openapi <file or URL> --upstream <name> --out <folder> [options]

        Required:
          --openapi <file|URL>     The upstream's OpenAPI document: 2.0, 3.0 or 3.1, JSON or YAML (e.g. an APIM export).
          --upstream <name>        The upstream's name in the service's configuration (Intermediary:Upstreams:<name>).
          --out <folder>           Where to write apiDefinition.swagger.json, apiProperties.json and operations.md.

        Options:
          --title <text>           The connector's title (default: Intermediary).
          --host <host name>       The service's host name in the definition (default: a placeholder; each connection sets its own).
          --tag <tag>              Only operations with this tag. Repeat for several.
          --operation <id>         Only this operation id. Repeat for several (combined with --tag by "or").
          --long-running <id>      Also generate a job-start operation for this operation id (those answering 202 get one anyway).
          --entra-client-id <id>   Sign users in with Microsoft Entra ID (for OnBehalfOf upstreams): the connector's app
                                   registration's client id. Needs --entra-resource; the function key is still sent.
          --entra-resource <uri>   The service's Application ID URI users' tokens are for, e.g. api://<its client id>.
          --entra-tenant <id>      The users' tenant id (default: common).
          --help                   Show this text.

        Exit codes: 0 generated, 1 unexpected error, 2 bad arguments or an unusable document.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (args.Length == 0 || args.Any(a => a is "--help" or "-h" or "-?"))
        {
            await output.WriteLineAsync(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            var parsed = Parse(args);
            var document = await SourceDocument.LoadAsync(parsed.OpenApi, http);
            var connector = ConnectorGenerator.Generate(document, parsed.Options);
            await connector.WriteAsync(parsed.Out);
            foreach (var note in connector.Notes)
            {
                await output.WriteLineAsync("note: " + note);
            }

            await output.WriteLineAsync($"Generated {connector.Operations.Count} operation(s) for upstream '{parsed.Options.Upstream}' into {Path.GetFullPath(parsed.Out)}.");
            return 0;
        }
        catch (GeneratorException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return 2;
        }
    }

    private sealed record Arguments(string OpenApi, string Out, GeneratorOptions Options);

    private static Arguments Parse(string[] args)
    {
        var single = new Dictionary<string, string>(StringComparer.Ordinal);
        var tags = new HashSet<string>(StringComparer.Ordinal);
        var operations = new HashSet<string>(StringComparer.Ordinal);
        var longRunning = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new GeneratorException($"{name} needs a value. Run with --help for usage.");
            }

            var value = args[++i];
            switch (name)
            {
                case "--openapi" or "--upstream" or "--out" or "--title" or "--host" or "--entra-client-id" or "--entra-resource" or "--entra-tenant":
                    if (!single.TryAdd(name, value))
                    {
                        throw new GeneratorException($"{name} is given twice.");
                    }

                    break;
                case "--tag":
                    tags.Add(value);
                    break;
                case "--operation":
                    operations.Add(value);
                    break;
                case "--long-running":
                    longRunning.Add(value);
                    break;
                default:
                    throw new GeneratorException($"Unknown option {name}. Run with --help for usage.");
            }
        }

        foreach (var required in new[] { "--openapi", "--upstream", "--out" })
        {
            if (!single.ContainsKey(required))
            {
                throw new GeneratorException($"{required} is required. Run with --help for usage.");
            }
        }

        var clientId = single.GetValueOrDefault("--entra-client-id");
        var resource = single.GetValueOrDefault("--entra-resource");
        if ((clientId is null) != (resource is null) || (clientId is null && single.ContainsKey("--entra-tenant")))
        {
            throw new GeneratorException("Entra ID sign-in needs both --entra-client-id and --entra-resource (and optionally --entra-tenant).");
        }

        return new Arguments(single["--openapi"], single["--out"], new GeneratorOptions
        {
            EntraSignIn = clientId is null ? null : new EntraSignIn(clientId, resource!, single.GetValueOrDefault("--entra-tenant") ?? "common"),
            Upstream = single["--upstream"],
            Title = single.GetValueOrDefault("--title"),
            Host = single.GetValueOrDefault("--host"),
            Tags = tags,
            OperationIds = operations,
            LongRunning = longRunning,
        });
    }
}
