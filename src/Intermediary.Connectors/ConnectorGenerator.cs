using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Intermediary.Connectors;

/// <summary>What to generate, besides the document itself.</summary>
internal sealed record GeneratorOptions
{
    /// <summary>The upstream's name in the service's configuration (<c>Intermediary:Upstreams:{name}</c>).</summary>
    public required string Upstream { get; init; }

    /// <summary>The connector's title; the template's when not given.</summary>
    public string? Title { get; init; }

    /// <summary>The service's host name written into the definition; a placeholder when not given (each connection sets its own).</summary>
    public string? Host { get; init; }

    /// <summary>Only operations with one of these tags (all when empty).</summary>
    public IReadOnlySet<string> Tags { get; init; } = new HashSet<string>();

    /// <summary>Only these operation ids (all when empty); combined with <see cref="Tags"/> by "or".</summary>
    public IReadOnlySet<string> OperationIds { get; init; } = new HashSet<string>();

    /// <summary>Operation ids to treat as long-running even though they do not answer 202.</summary>
    public IReadOnlySet<string> LongRunning { get; init; } = new HashSet<string>();

    /// <summary>
    /// Sign users in with Microsoft Entra ID (for upstreams called on behalf of the user); null for the function key
    /// alone.
    /// </summary>
    public EntraSignIn? EntraSignIn { get; init; }
}

/// <summary>
/// The connector's Microsoft Entra ID sign-in: the connector's own app registration (<paramref name="ClientId"/>; its
/// secret is entered when the connector is created, never generated), the service's Application ID URI the users'
/// tokens are for (<paramref name="ResourceUri"/>), and the users' tenant.
/// </summary>
internal sealed record EntraSignIn(string ClientId, string ResourceUri, string TenantId);

/// <summary>One generated connector operation and where it came from.</summary>
internal sealed record GeneratedOperation(
    string OperationId,
    string Method,
    string Path,
    string SourceMethod,
    string SourcePath,
    string Summary,
    bool IsJobStart,
    string? DataDefinition);

/// <summary>The generated files, and what the generator simplified or left out (to print for the user).</summary>
internal sealed record GeneratedConnector(
    JsonObject ApiDefinition,
    JsonObject ApiProperties,
    string Snippets,
    IReadOnlyList<GeneratedOperation> Operations,
    IReadOnlyList<string> Notes)
{
    public static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        IndentSize = 4,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes apiDefinition.swagger.json, apiProperties.json and operations.md into <paramref name="folder"/>.</summary>
    public async Task WriteAsync(string folder, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "apiDefinition.swagger.json"), ApiDefinition.ToJsonString(WriteOptions) + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "apiProperties.json"), ApiProperties.ToJsonString(WriteOptions) + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(folder, "operations.md"), Snippets, cancellationToken);
    }
}

/// <summary>
/// Builds a custom connector for one upstream: the template's envelope, job and health operations, plus one typed
/// operation on <c>/call/{upstream}/...</c> per selected upstream operation whose success answer is the envelope with
/// <c>data</c> typed as that operation's schema, and a job-start operation for each long-running one.
/// </summary>
internal static class ConnectorGenerator
{
    /// <summary>Query names the service keeps for itself (the caller key and the error mode): never forwarded.</summary>
    private static readonly HashSet<string> s_reservedQuery = new(StringComparer.OrdinalIgnoreCase) { "code", "errorMode" };

    /// <summary>Request headers the service forwards by default (its <c>ForwardedHeaders</c>); others never reach the upstream.</summary>
    private static readonly HashSet<string> s_forwardedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Accept", "Accept-Language", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "Prefer",
    };

    private static readonly HashSet<string> s_methods = new(StringComparer.OrdinalIgnoreCase) { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" };

    public static GeneratedConnector Generate(OpenApiDocument source, GeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Upstream) || !options.Upstream.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new GeneratorException($"The upstream name '{options.Upstream}' must be letters, digits, '-' or '_' (it is one URL segment).");
        }

        var notes = new List<string>();
        var definition = Template("apiDefinition.base.json");
        var properties = Template("apiProperties.base.json");
        if (options.Title is { Length: > 0 } title)
        {
            definition["info"]!["title"] = title;
        }

        if (options.Host is { Length: > 0 } host)
        {
            definition["host"] = host;
        }

        if (options.EntraSignIn is { } signIn)
        {
            UseEntraSignIn(definition, properties, signIn);
        }

        var paths = definition["paths"]!.AsObject();
        var definitions = definition["definitions"]!.AsObject();
        var generic = paths["/call/{upstream}/{path}"]!.AsObject();
        foreach (var (_, operation) in generic)
        {
            foreach (var parameter in operation!["parameters"]!.AsArray())
            {
                if (parameter!["name"]!.GetValue<string>() == "upstream")
                {
                    parameter["default"] = options.Upstream;
                }
            }
        }

        var context = new Context(source, options, notes, definition, new SchemaConverter(notes.Add));
        context.Converter.Reserve(definitions.Select(d => d.Key));
        context.OperationIds.UnionWith(paths.SelectMany(p => p.Value!.AsObject().Select(o => o.Value!["operationId"]!.GetValue<string>())));

        foreach (var (sourcePath, item) in source.Paths)
        {
            foreach (var (method, operation) in item.Operations ?? [])
            {
                if (Selected(operation, options))
                {
                    AddOperation(context, sourcePath, item, method.Method.ToUpperInvariant(), operation);
                }
            }
        }

        if (context.Operations.Count == 0)
        {
            throw new GeneratorException(options.Tags.Count + options.OperationIds.Count > 0
                ? "No operation of the document matches the --tag/--operation filters."
                : "The document has no operation this generator can carry over (see the notes above).");
        }

        foreach (var (name, schema) in context.Converter.Definitions)
        {
            definitions[name] = schema;
        }

        var tags = definition["tags"]!.AsArray();
        foreach (var (name, description) in context.Tags)
        {
            tags.Insert(tags.Count - 3, new JsonObject { ["name"] = name, ["description"] = description });
        }

        return new GeneratedConnector(definition, properties, Snippets.Write(definition, context.Operations), context.Operations, notes);
    }

    private static bool Selected(OpenApiOperation operation, GeneratorOptions options) =>
        (options.Tags.Count == 0 && options.OperationIds.Count == 0)
        || (operation.OperationId is { } id && options.OperationIds.Contains(id))
        || (operation.Tags ?? new HashSet<OpenApiTagReference>()).Any(t => t.Name is { } name && options.Tags.Contains(name));

    private static void AddOperation(Context context, string sourcePath, IOpenApiPathItem item, string method, OpenApiOperation operation)
    {
        var where = $"{method} {sourcePath}";
        if (!s_methods.Contains(method))
        {
            context.Notes.Add($"{where}: the service does not forward {method}; left out.");
            return;
        }

        if (sourcePath.IndexOfAny(['*', '?', '#']) >= 0 || !sourcePath.StartsWith('/'))
        {
            context.Notes.Add($"{where}: a path with '*', '?' or '#' (or without a leading '/') cannot be a connector path; left out.");
            return;
        }

        var sourceParameters = (item.Parameters ?? []).Where(p => !(operation.Parameters ?? []).Any(o => o.Name == p.Name && o.In == p.In))
            .Concat(operation.Parameters ?? []).ToList();
        if (sourceParameters.Any(p => p.In == ParameterLocation.Path && string.Equals(p.Name, "upstream", StringComparison.OrdinalIgnoreCase)))
        {
            context.Notes.Add($"{where}: a path parameter named 'upstream' clashes with the connector's own; left out.");
            return;
        }

        var body = RequestBody(context, operation, method, where);
        if (body is { Unsupported: true })
        {
            return;
        }

        var operationId = UniqueId(context, Naming.PascalCase(operation.OperationId ?? $"{method} {sourcePath.Replace('{', ' ').Replace('}', ' ')}"));
        var summary = Naming.SentenceSummary(operation.Summary is { Length: > 0 } s ? s : operationId);
        var tag = TagFor(context, operation);
        var parameters = new JsonArray { Upstream(context.Options.Upstream) };
        foreach (var parameter in sourceParameters)
        {
            if (Parameter(context, parameter, where) is { } converted)
            {
                parameters.Add(converted);
            }
        }

        if (body?.Parameter is { } bodyParameter)
        {
            parameters.Add(bodyParameter);
        }

        parameters.Add(ErrorModeParameter(context));

        var (data, dataStatus) = SuccessSchema(context, operation, operationId);
        var envelope = data is null ? "Envelope" : TypedEnvelope(context, operationId, data);
        var sourceText = operation.Description is { Length: > 0 } d ? d : operation.Summary is { Length: > 0 } sum ? sum : string.Join(' ', Naming.Words(operationId));
        var description = Naming.Sentence(sourceText) + " "
            + (data is null ? "Answers with the envelope: check ok and code." : "On success data is the backend's answer, typed; check ok and code.");
        var connectorPath = "/call/{upstream}" + sourcePath;
        var generated = new JsonObject
        {
            ["operationId"] = operationId,
            ["tags"] = new JsonArray(tag),
            ["summary"] = summary,
            ["description"] = description,
            ["x-ms-visibility"] = operation.Deprecated ? "advanced" : "important",
            ["parameters"] = parameters,
            ["responses"] = Responses(context, envelope, dataStatus),
        };
        if (operation.Deprecated)
        {
            generated["deprecated"] = true;
        }

        AddPath(context, connectorPath, method, generated, where);
        context.Operations.Add(new GeneratedOperation(operationId, method, connectorPath, method, sourcePath, summary, false, data is null ? null : envelope));

        var longRunning = (operation.Responses ?? []).ContainsKey("202")
            || (operation.OperationId is { } id && context.Options.LongRunning.Contains(id))
            || context.Options.LongRunning.Contains(operationId);
        if (longRunning)
        {
            AddJobStart(context, sourcePath, method, operationId, summary, tag, parameters);
        }
    }

    private static void AddJobStart(Context context, string sourcePath, string method, string operationId, string summary, string tag, JsonArray callParameters)
    {
        var startId = UniqueId(context, operationId.StartsWith("Start", StringComparison.Ordinal) ? operationId + "AsJob" : "Start" + operationId);
        var parameters = new JsonArray();
        foreach (var parameter in callParameters)
        {
            if (parameter!["name"]!.GetValue<string>() != "X-Error-Mode")
            {
                parameters.Add(parameter.DeepClone());
            }
        }

        if (method != "POST")
        {
            parameters.Add(new JsonObject
            {
                ["name"] = "X-Job-Method",
                ["in"] = "header",
                ["required"] = true,
                ["type"] = "string",
                ["default"] = method,
                ["x-ms-visibility"] = "internal",
                ["x-ms-summary"] = "Job Method",
                ["description"] = $"The method the job sends to the backend: {method}.",
            });
        }

        var template = context.Definition["paths"]!["/jobs/{target}"]!["post"]!;
        foreach (var parameter in template["parameters"]!.AsArray())
        {
            var name = parameter!["name"]!.GetValue<string>();
            if (name is "Idempotency-Key" or "X-Error-Mode" && !parameters.Any(p => string.Equals(p!["name"]!.GetValue<string>(), name, StringComparison.OrdinalIgnoreCase)))
            {
                parameters.Add(parameter.DeepClone());
            }
        }

        var path = "/jobs/{upstream}" + sourcePath;
        var start = new JsonObject
        {
            ["operationId"] = startId,
            ["tags"] = new JsonArray(tag),
            ["summary"] = Naming.SentenceSummary(summary + " as a job"),
            ["description"] = $"The job version of {operationId}, for work longer than a connector call may last. Answers 202 with code Accepted and job.id; "
                + "flows wait for the job automatically, canvas apps poll Get job until job.status is succeeded, failed or canceled.",
            ["x-ms-visibility"] = "important",
            ["parameters"] = parameters,
            ["responses"] = template["responses"]!.DeepClone(),
        };
        foreach (var key in new[] { "x-ms-long-running-operation", "x-ms-long-running-operation-options" })
        {
            // Like StartJob: flows poll the Location header until the job has ended and give its final envelope.
            if (template[key] is { } marker)
            {
                start[key] = marker.DeepClone();
            }
        }

        AddPath(context, path, "POST", start, $"{method} {sourcePath} (job)");
        context.Operations.Add(new GeneratedOperation(startId, "POST", path, method, sourcePath, start["summary"]!.GetValue<string>(), true, null));
    }

    private static void AddPath(Context context, string path, string method, JsonObject operation, string where)
    {
        var paths = context.Definition["paths"]!.AsObject();
        if (paths[path] is not JsonObject item)
        {
            item = [];
            paths[path] = item;
        }

        var key = method.ToLowerInvariant();
        if (item.ContainsKey(key))
        {
            context.Notes.Add($"{where}: the connector already has {method} {path}; left out.");
            return;
        }

        item[key] = operation;
    }

    private static string UniqueId(Context context, string id)
    {
        var unique = id.Length == 0 ? "Operation" : id;
        for (var i = 2; !context.OperationIds.Add(unique); i++)
        {
            unique = id + i.ToString(CultureInfo.InvariantCulture);
        }

        return unique;
    }

    private static string TagFor(Context context, OpenApiOperation operation)
    {
        var sourceTag = operation.Tags?.FirstOrDefault();
        var name = Naming.TitleCase(sourceTag?.Name ?? context.Options.Upstream);
        if (name is "Calls" or "Jobs" or "Health")
        {
            name += " Operations";
        }

        if (!context.Tags.ContainsKey(name))
        {
            var description = sourceTag?.Description is { Length: > 0 } d ? Naming.Sentence(d) : $"Typed operations of the {context.Options.Upstream} upstream.";
            context.Tags[name] = description;
        }

        return name;
    }

    private static JsonObject Upstream(string upstream) => new()
    {
        ["name"] = "upstream",
        ["in"] = "path",
        ["required"] = true,
        ["type"] = "string",
        ["default"] = upstream,
        ["x-ms-visibility"] = "internal",
        ["x-ms-url-encoding"] = "single",
        ["x-ms-summary"] = "Upstream",
        ["description"] = $"The configured backend this operation calls: {upstream}.",
    };

    private static JsonNode ErrorModeParameter(Context context) =>
        context.Definition["paths"]!["/call/{upstream}/{path}"]!["get"]!["parameters"]!.AsArray()
            .First(p => p!["name"]!.GetValue<string>() == "X-Error-Mode")!.DeepClone();

    private static JsonObject? Parameter(Context context, IOpenApiParameter parameter, string where)
    {
        var name = parameter.Name ?? "";
        switch (parameter.In)
        {
            case ParameterLocation.Query when s_reservedQuery.Contains(name):
                context.Notes.Add($"{where}: query parameter '{name}' is reserved by the service (caller key / error mode) and never forwarded; left out.");
                return null;
            case ParameterLocation.Header when !s_forwardedHeaders.Contains(name):
                context.Notes.Add($"{where}: header '{name}' is not forwarded by default; add it to the upstream's ForwardedHeaders and to the operation by hand. Left out.");
                return null;
            case ParameterLocation.Header when name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Accept", StringComparison.OrdinalIgnoreCase):
                return null;
            case ParameterLocation.Cookie or null:
                context.Notes.Add($"{where}: {(parameter.In is null ? "a parameter without a location" : $"cookie '{name}'")} cannot be sent by a connector; left out.");
                return null;
        }

        var location = parameter.In switch
        {
            ParameterLocation.Path => "path",
            ParameterLocation.Header => "header",
            _ => "query",
        };
        var converted = new JsonObject { ["name"] = name, ["in"] = location, ["required"] = parameter.In == ParameterLocation.Path || parameter.Required };
        var schema = parameter.Schema is { } s ? Primitive(context, s, $"{where} parameter {name}") : new JsonObject { ["type"] = "string" };
        foreach (var (key, value) in schema)
        {
            // Swagger 2.0 parameters take no example, readOnly or x-nullable; the text is the parameter's own.
            if (key is not ("description" or "x-ms-summary" or "x-nullable" or "readOnly" or "example"))
            {
                converted[key] = value?.DeepClone();
            }
        }

        if (schema["type"]?.GetValue<string>() == "array")
        {
            // The service forwards repeated query keys as they came: name=a&name=b.
            converted["collectionFormat"] = "multi";
        }

        if (parameter.In == ParameterLocation.Path)
        {
            converted["x-ms-url-encoding"] = "single";
        }

        converted["x-ms-summary"] = Naming.TitleCase(name);
        var text = parameter.Description ?? parameter.Schema?.Description;
        converted["description"] = Naming.Sentence(text is { Length: > 0 } ? text : $"The {name} {location} parameter.");
        if (parameter.Deprecated)
        {
            converted["x-ms-visibility"] = "advanced";
        }

        return converted;
    }

    /// <summary>Non-body parameters must be primitives (or arrays of them) in Swagger 2.0, written inline.</summary>
    private static JsonObject Primitive(Context context, IOpenApiSchema schema, string where)
    {
        var target = schema is OpenApiSchemaReference { Target: { } resolved } ? resolved : schema;
        var converted = new SchemaConverter(context.Notes.Add).Convert(target, where);
        var type = converted["type"]?.GetValue<string>();
        if (type is "object" || (type is null && converted.ContainsKey("$ref")))
        {
            context.Notes.Add($"{where}: an object-valued parameter is sent as a string.");
            return new JsonObject { ["type"] = "string" };
        }

        if (type == "array" && converted["items"] is JsonObject items && items["type"] is null)
        {
            converted["items"] = new JsonObject { ["type"] = "string" };
        }

        converted.Remove("properties");
        converted.Remove("allOf");
        converted["type"] ??= "string";
        return converted;
    }

    private sealed record Body(JsonObject? Parameter, bool Unsupported);

    private static Body? RequestBody(Context context, OpenApiOperation operation, string method, string where)
    {
        if (operation.RequestBody is not { } requestBody || requestBody.Content is not { Count: > 0 } content)
        {
            return null;
        }

        if (method is "GET" or "HEAD" or "DELETE" or "OPTIONS")
        {
            context.Notes.Add($"{where}: a request body on {method} cannot be sent by a connector; the body is left out.");
            return null;
        }

        var json = content.FirstOrDefault(c => IsJson(c.Key));
        if (json.Value is null)
        {
            context.Notes.Add($"{where}: only JSON request bodies are carried over (this one is {string.Join(", ", content.Keys)}); left out.");
            return new Body(null, true);
        }

        if (content.Count > 1)
        {
            context.Notes.Add($"{where}: of the body's media types only {json.Key} is used.");
        }

        var schema = json.Value.Schema is { } s ? context.Converter.Convert(s, where + " body") : new JsonObject();
        return new Body(new JsonObject
        {
            ["name"] = "body",
            ["in"] = "body",
            ["required"] = requestBody.Required,
            ["x-ms-summary"] = "Body",
            ["description"] = Naming.Sentence(requestBody.Description is { Length: > 0 } d ? d : "The JSON body sent to the backend."),
            ["schema"] = schema,
        }, false);
    }

    /// <summary>The schema of the first 2xx answer with a JSON body (200 first), and its status.</summary>
    private static (JsonObject? Schema, string? Status) SuccessSchema(Context context, OpenApiOperation operation, string operationId)
    {
        var responses = operation.Responses ?? [];
        foreach (var status in responses.Keys.Where(k => k.StartsWith('2') && k != "202").OrderBy(k => k == "200" ? 0 : 1).ThenBy(k => k, StringComparer.Ordinal))
        {
            var response = responses[status];
            var json = (response.Content ?? new Dictionary<string, OpenApiMediaType>()).FirstOrDefault(c => IsJson(c.Key));
            if (json.Value?.Schema is { } schema)
            {
                return (context.Converter.Convert(schema, $"{operationId} response {status}"), status);
            }
        }

        return (null, null);
    }

    private static bool IsJson(string mediaType)
    {
        var media = mediaType.Split(';')[0].Trim();
        return media.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A copy of the envelope definition with <c>data</c> typed: Power Fx then sees records and tables, not Dynamic.</summary>
    private static string TypedEnvelope(Context context, string operationId, JsonObject data)
    {
        var definitions = context.Definition["definitions"]!.AsObject();
        var envelope = definitions["Envelope"]!.DeepClone().AsObject();
        var typed = data.ContainsKey("$ref") ? new JsonObject { ["allOf"] = new JsonArray(data) } : data;
        typed["x-ms-summary"] = "Data";
        typed["description"] = "The backend's answer on success (typed for this operation); on failure its error JSON or text, when it sent one.";
        // Empty (null) when the backend sent no body, as in the untyped envelope.
        typed["x-nullable"] = true;

        envelope["properties"]!["data"] = typed;
        envelope["description"] = $"The envelope of {operationId}: data is the backend's typed answer on success.";
        var name = operationId + "Envelope";
        for (var i = 2; definitions.ContainsKey(name); i++)
        {
            name = operationId + "Envelope" + i.ToString(CultureInfo.InvariantCulture);
        }

        definitions[name] = envelope;
        return name;
    }

    /// <summary>The generic call's responses (200 and every status-mode failure), with 200 typed and the backend's success status mirrored.</summary>
    private static JsonObject Responses(Context context, string envelope, string? successStatus)
    {
        var template = context.Definition["paths"]!["/call/{upstream}/{path}"]!["get"]!["responses"]!.AsObject();
        var responses = new JsonObject();
        foreach (var (status, response) in template)
        {
            var copy = response!.DeepClone().AsObject();
            if (status == "200")
            {
                copy["description"] = "The envelope. In body mode (the default) every outcome answers 200: check ok and code.";
                copy["schema"] = new JsonObject { ["$ref"] = "#/definitions/" + envelope };
            }

            responses[status] = copy;
            if (status == "200" && successStatus is { } success && success != "200")
            {
                // Status mode mirrors the backend's own success status (e.g. 201 Created).
                var mirrored = copy.DeepClone().AsObject();
                mirrored["description"] = $"Status mode: the backend answered {success}; the envelope as for 200.";
                mirrored.Remove("headers");
                responses[success] = mirrored;
            }
        }

        return responses;
    }

    /// <summary>
    /// A connector has one security definition: with Entra ID sign-in it is OAuth 2.0 (the user's token reaches the
    /// service as <c>Authorization: Bearer</c>), and the function key moves to a secure connection parameter that a
    /// set-header policy sends as <c>x-functions-key</c> — the service still requires both.
    /// </summary>
    private static void UseEntraSignIn(JsonObject definition, JsonObject properties, EntraSignIn signIn)
    {
        const string Login = "https://login.microsoftonline.com";
        definition["securityDefinitions"] = new JsonObject
        {
            ["oauth2-auth"] = new JsonObject
            {
                ["type"] = "oauth2",
                ["flow"] = "accessCode",
                ["authorizationUrl"] = $"{Login}/{signIn.TenantId}/oauth2/authorize",
                ["tokenUrl"] = $"{Login}/{signIn.TenantId}/oauth2/token",
                ["scopes"] = new JsonObject(),
            },
        };
        definition["security"] = new JsonArray(new JsonObject { ["oauth2-auth"] = new JsonArray() });

        var root = properties["properties"]!.AsObject();
        var parameters = root["connectionParameters"]!.AsObject();
        var functionKey = parameters["api_key"]!.DeepClone();
        parameters.Remove("api_key");
        var host = parameters["host"]!.DeepClone();
        parameters.Remove("host");
        parameters["token"] = new JsonObject
        {
            ["type"] = "oauthSetting",
            ["oAuthSettings"] = new JsonObject
            {
                ["identityProvider"] = "aad",
                ["clientId"] = signIn.ClientId,
                ["scopes"] = new JsonArray(),
                ["redirectMode"] = "GlobalPerConnector",
                ["redirectUrl"] = "https://global.consent.azure-apim.net/redirect",
                ["properties"] = new JsonObject
                {
                    ["IsFirstParty"] = "False",
                    ["AzureActiveDirectoryResourceId"] = signIn.ResourceUri,
                    ["IsOnbehalfofLoginSupported"] = false,
                },
                ["customParameters"] = new JsonObject
                {
                    ["loginUri"] = new JsonObject { ["value"] = Login },
                    ["tenantId"] = new JsonObject { ["value"] = signIn.TenantId },
                    ["resourceUri"] = new JsonObject { ["value"] = signIn.ResourceUri },
                    ["enableOnbehalfOfLogin"] = new JsonObject { ["value"] = "false" },
                },
            },
        };
        parameters["function_key"] = functionKey;
        parameters["host"] = host;

        root["policyTemplateInstances"]!.AsArray().Add(new JsonObject
        {
            ["templateId"] = "setheader",
            ["title"] = "Send the function key of this connection",
            ["parameters"] = new JsonObject
            {
                ["x-ms-apimTemplateParameter.name"] = "x-functions-key",
                ["x-ms-apimTemplateParameter.value"] = "@connectionParameters('function_key')",
                ["x-ms-apimTemplateParameter.existsAction"] = "override",
                ["x-ms-apimTemplate-policySection"] = "Request",
            },
        });
    }

    private static JsonObject Template(string name)
    {
        using var stream = typeof(ConnectorGenerator).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The template {name} is missing from the generator.");
        return JsonNode.Parse(stream)!.AsObject();
    }

    private sealed class Context(OpenApiDocument source, GeneratorOptions options, List<string> notes, JsonObject definition, SchemaConverter converter)
    {
        public OpenApiDocument Source { get; } = source;
        public GeneratorOptions Options { get; } = options;
        public List<string> Notes { get; } = notes;
        public JsonObject Definition { get; } = definition;
        public SchemaConverter Converter { get; } = converter;
        public HashSet<string> OperationIds { get; } = new(StringComparer.OrdinalIgnoreCase);
        public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
        public List<GeneratedOperation> Operations { get; } = [];
    }
}
