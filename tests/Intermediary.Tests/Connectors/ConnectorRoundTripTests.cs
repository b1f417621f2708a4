using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Intermediary.Connectors;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;

namespace Intermediary.Tests.Connectors;

/// <summary>
/// The generator against the service: a connector generated from the OpenAPI document the simulator serves for its
/// demo backend, then every generated operation called through the Server host with the request the connector would
/// send (internal defaults, path and query values, a body built from the body schema), and each answer checked: the
/// envelope, and <c>data</c> against the schema the connector promises Power Fx.
/// </summary>
public sealed class ConnectorRoundTripTests : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync();
        _host = await IntermediaryHost.StartAsync(_simulator, new() { ["Intermediary:Upstreams:demo:AllowedPaths:3"] = "/lro" });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public async Task Every_generated_operation_answers_through_the_service_with_data_of_the_generated_schema()
    {
        using var http = new HttpClient();
        var document = await SourceDocument.LoadAsync(_simulator.ApiDocumentAddress.AbsoluteUri, http);
        var connector = ConnectorGenerator.Generate(document, new GeneratorOptions { Upstream = "demo" });
        var definition = connector.ApiDefinition;
        var definitions = definition["definitions"]!.AsObject();

        Assert.Equal(["ListItems", "CreateItem", "GetItem", "StartReport", "StartReportAsJob"], connector.Operations.Select(o => o.OperationId));
        foreach (var generated in connector.Operations)
        {
            var operation = definition["paths"]![generated.Path]![generated.Method.ToLowerInvariant()]!.AsObject();
            var response = await SendAsConnectorAsync(generated, operation, definitions);
            var where = $"{generated.OperationId}: {response}";

            if (generated.IsJobStart)
            {
                Assert.True(response.StatusCode == 202 && response.Ok && response.Code == "Accepted", where);
                Assert.Equal(JsonValueKind.String, response.Job.GetProperty("id").ValueKind);
                continue;
            }

            Assert.True(response.Ok, where);
            var schemaName = operation["responses"]!["200"]!["schema"]!["$ref"]!.GetValue<string>()["#/definitions/".Length..];
            Assert.Equal(generated.DataDefinition ?? "Envelope", schemaName);
            var envelopeSchema = definitions[schemaName]!.AsObject();
            Assert.Empty(SchemaCheck.Problems(response.Envelope, envelopeSchema, definitions, "$"));
            if (generated.DataDefinition is not null)
            {
                Assert.NotEqual(JsonValueKind.Null, response.Envelope.GetProperty("data").ValueKind);
            }
        }
    }

    [Fact]
    public async Task The_schema_check_is_not_vacuous()
    {
        using var http = new HttpClient();
        var document = await SourceDocument.LoadAsync(_simulator.ApiDocumentAddress.AbsoluteUri, http);
        var definitions = ConnectorGenerator.Generate(document, new GeneratorOptions { Upstream = "demo" }).ApiDefinition["definitions"]!.AsObject();
        var schema = definitions["GetItemEnvelope"]!.AsObject();
        var good = await _host.SendAsync(HttpMethod.Get, "api/call/demo/items/1");

        Assert.Empty(SchemaCheck.Problems(good.Envelope, schema, definitions, "$"));
        var withoutPrice = JsonNode.Parse(good.Body)!;
        withoutPrice["data"]!.AsObject().Remove("price");
        var wrongType = JsonNode.Parse(good.Body)!;
        wrongType["data"]!["name"] = 42;
        wrongType["code"] = "NotACode";
        Assert.Contains("$.data: price is required", SchemaCheck.Problems(JsonElement.Parse(withoutPrice.ToJsonString()), schema, definitions, "$"));
        var problems = SchemaCheck.Problems(JsonElement.Parse(wrongType.ToJsonString()), schema, definitions, "$");
        Assert.Contains("$.data.name: expected string, got Number", problems);
        Assert.Contains(problems, p => p.StartsWith("$.code: 'NotACode' is not one of", StringComparison.Ordinal));
    }

    private async Task<IntermediaryHost.Response> SendAsConnectorAsync(GeneratedOperation generated, JsonObject operation, JsonObject definitions)
    {
        var path = generated.Path;
        var query = new List<string>();
        var headers = new List<(string Name, string Value)>();
        JsonNode? body = null;
        foreach (var parameter in operation["parameters"]!.AsArray().Select(p => p!.AsObject()))
        {
            var name = parameter["name"]!.GetValue<string>();
            var required = parameter["required"]?.GetValue<bool>() == true;
            switch (parameter["in"]!.GetValue<string>())
            {
                case "path":
                    path = path.Replace("{" + name + "}", Uri.EscapeDataString(Value(parameter)), StringComparison.Ordinal);
                    break;
                case "query" when required || parameter["default"] is not null:
                    query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(Value(parameter))}");
                    break;
                case "header" when (required || parameter["default"] is not null) && name != "X-Error-Mode":
                    headers.Add((name, Value(parameter)));
                    break;
                case "body":
                    body = SampleBody.For(parameter["schema"]!.AsObject(), definitions);
                    break;
            }
        }

        var url = "api" + path + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        Assert.DoesNotContain("{", url, StringComparison.Ordinal);
        return await _host.SendAsync(new HttpMethod(generated.Method), url, request =>
        {
            foreach (var (name, value) in headers)
            {
                request.Headers.Add(name, value);
            }

            if (body is not null)
            {
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
            }
        });
    }

    /// <summary>What a maker would type or the connector would fill in: the default, else a value of the parameter's type.</summary>
    private static string Value(JsonObject parameter) => parameter["default"] is { } value
        ? value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString()
        : parameter["type"]?.GetValue<string>() switch
        {
            "integer" or "number" => "1",
            "boolean" => "false",
            _ => "1",
        };
}

/// <summary>A request body from a Swagger 2.0 schema: examples where given, else the smallest value of each type.</summary>
internal static class SampleBody
{
    public static JsonNode? For(JsonObject schema, JsonObject definitions, int depth = 0)
    {
        if (schema["$ref"] is { } reference)
        {
            return For(definitions[reference.GetValue<string>()["#/definitions/".Length..]]!.AsObject(), definitions, depth + 1);
        }

        if (schema["example"] is { } example)
        {
            return example.DeepClone();
        }

        return schema["type"]?.GetValue<string>() switch
        {
            "string" => schema["enum"]?[0]?.DeepClone() ?? "sample",
            "integer" or "number" => schema["minimum"] is { } minimum ? minimum.DeepClone() : 1,
            "boolean" => false,
            "array" => new JsonArray(),
            _ when depth > 8 => new JsonObject(),
            _ => new JsonObject((schema["properties"]?.AsObject() ?? [])
                .Where(p => schema["required"]?.AsArray().Any(r => r!.GetValue<string>() == p.Key) == true)
                .Select(p => KeyValuePair.Create(p.Key, For(p.Value!.AsObject(), definitions, depth + 1)))),
        };
    }
}

/// <summary>
/// Checks a JSON value against a Swagger 2.0 schema of the kind the generator writes: $ref, allOf, type (with
/// x-nullable), required, properties, items, enum. One line per problem, with its JSON path.
/// </summary>
internal static class SchemaCheck
{
    public static List<string> Problems(JsonElement value, JsonObject schema, JsonObject definitions, string path)
    {
        var problems = new List<string>();
        Check(value, schema, definitions, path, problems);
        return problems;
    }

    private static void Check(JsonElement value, JsonObject schema, JsonObject definitions, string path, List<string> problems)
    {
        if (schema["$ref"] is { } reference)
        {
            Check(value, definitions[reference.GetValue<string>()["#/definitions/".Length..]]!.AsObject(), definitions, path, problems);
            return;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            if (schema["x-nullable"]?.GetValue<bool>() != true && schema["type"] is not null)
            {
                problems.Add($"{path}: null where a {schema["type"]} is required");
            }

            return;
        }

        foreach (var part in schema["allOf"]?.AsArray() ?? [])
        {
            Check(value, part!.AsObject(), definitions, path, problems);
        }

        var type = schema["type"]?.GetValue<string>();
        var matches = type switch
        {
            null => true,
            "string" => value.ValueKind == JsonValueKind.String,
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "array" => value.ValueKind == JsonValueKind.Array,
            _ => value.ValueKind == JsonValueKind.Object,
        };
        if (!matches)
        {
            problems.Add($"{path}: expected {type}, got {value.ValueKind}");
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, JsonNode.Parse(value.GetRawText()))))
        {
            problems.Add($"{path}: '{value}' is not one of {allowed.ToJsonString()}");
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var required in schema["required"]?.AsArray() ?? [])
            {
                if (!value.TryGetProperty(required!.GetValue<string>(), out _))
                {
                    problems.Add($"{path}: {required} is required");
                }
            }

            foreach (var (name, propertySchema) in schema["properties"]?.AsObject() ?? [])
            {
                if (value.TryGetProperty(name, out var property))
                {
                    Check(property, propertySchema!.AsObject(), definitions, $"{path}.{name}", problems);
                }
            }
        }
        else if (value.ValueKind == JsonValueKind.Array && schema["items"] is JsonObject items)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                Check(item, items, definitions, string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]"), problems);
            }
        }
    }
}
