using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Intermediary.Connectors;
using Intermediary.Tests.Infra;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Intermediary.Tests.Connectors;

/// <summary>
/// The generator on two hand-written documents of different styles (OpenAPI 3.1 YAML with type lists, oneOf and
/// unsupported parts; Swagger 2.0 JSON with nested paths, allOf and enums): what it carries over, what it simplifies
/// and says so, and that its output is a clean Swagger 2.0 connector by our rules and Spectral's.
/// </summary>
public sealed class ConnectorGeneratorTests
{
    public static TheoryData<string> Documents() => new() { "kennel.openapi.yaml", "orders.swagger.json" };

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task The_generated_definition_is_clean_swagger_2_by_our_rules_and_spectral(string document)
    {
        var connector = Generate(document, longRunning: "Reports_Monthly");
        var folder = Directory.CreateTempSubdirectory("connector-").FullName;
        try
        {
            await connector.WriteAsync(folder);
            var file = Path.Combine(folder, "apiDefinition.swagger.json");
            var text = await File.ReadAllTextAsync(file);
            var read = OpenApiDocument.Parse(text, OpenApiConstants.Json);
            var (exitCode, lint) = await ConnectorRules.SpectralAsync(file);
            using var json = JsonDocument.Parse(text);

            Assert.Empty(read.Diagnostic!.Errors);
            Assert.Equal(OpenApiSpecVersion.OpenApi2_0, read.Diagnostic.SpecificationVersion);
            Assert.Empty(ConnectorRules.Problems(json.RootElement));
            Assert.True(exitCode == 0 && !lint.Contains("warning", StringComparison.OrdinalIgnoreCase), $"spectral exited {exitCode}:\n{lint}");
            Assert.StartsWith("    \"swagger\"", text.Split('\n')[1], StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(folder, "apiProperties.json")));
            Assert.Contains("## ", await File.ReadAllTextAsync(Path.Combine(folder, "operations.md")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Operations_follow_the_certification_rules_by_construction(string document)
    {
        var connector = Generate(document);
        var definition = connector.ApiDefinition;
        var all = Operations(definition).ToList();

        Assert.Equal(all.Count, all.Select(o => o.Operation["operationId"]!.GetValue<string>()).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        foreach (var generated in connector.Operations)
        {
            var operation = definition["paths"]![generated.Path]![generated.Method.ToLowerInvariant()]!.AsObject();
            var where = $"{generated.Method} {generated.Path}";
            Assert.Matches("^[A-Z][A-Za-z0-9]*$", generated.OperationId);
            var summary = operation["summary"]!.GetValue<string>();
            Assert.True(summary.Length <= 80 && summary.All(c => char.IsLetterOrDigit(c) || c is ' ' or '(' or ')'), $"{where}: summary '{summary}'");
            Assert.DoesNotMatch("[.!?:;,]$", summary);
            // Sentence case, as the connector string guidance asks of an operation's name.
            Assert.True(char.IsUpper(summary[0]), $"{where}: summary '{summary}' does not start with a capital");
            Assert.EndsWith(".", operation["description"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.NotEqual(summary, operation["description"]!.GetValue<string>());

            foreach (var parameter in operation["parameters"]!.AsArray().Select(p => p!.AsObject()))
            {
                var name = parameter["name"]!.GetValue<string>();
                if (parameter["in"]!.GetValue<string>() == "path")
                {
                    Assert.True(parameter["required"]!.GetValue<bool>(), $"{where}: path parameter {name} not required");
                    Assert.Equal("single", parameter["x-ms-url-encoding"]?.GetValue<string>());
                    Assert.Contains("{" + name + "}", generated.Path, StringComparison.Ordinal);
                }

                if (parameter["x-ms-visibility"]?.GetValue<string>() == "internal")
                {
                    Assert.True(parameter["required"]!.GetValue<bool>() && parameter["default"] is not null, $"{where}: internal {name} needs required + default");
                }
            }
        }

        var serialized = definition.ToJsonString();
        Assert.DoesNotContain("\"oneOf\"", serialized, StringComparison.Ordinal);
        Assert.DoesNotContain("\"anyOf\"", serialized, StringComparison.Ordinal);
        Assert.DoesNotContain("\"nullable\"", serialized, StringComparison.Ordinal);
        Assert.DoesNotContain("\"const\"", serialized, StringComparison.Ordinal);
        Assert.DoesNotContain("#/components/", serialized, StringComparison.Ordinal);
        AssertRefsStandAlone(definition);
    }

    [Fact]
    public void Every_call_operation_is_on_the_upstreams_fixed_route_with_data_typed_as_its_success_schema()
    {
        var connector = Generate("orders.swagger.json");
        var definition = connector.ApiDefinition;

        var line = connector.Operations.Single(o => o.OperationId == "OrderLinesGet");
        Assert.Equal("/call/{upstream}/customers/{customerId}/orders/{orderId}/lines/{lineNumber}", line.Path);
        var operation = definition["paths"]![line.Path]!["get"]!;
        var upstream = operation["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "upstream")!;
        Assert.Equal(("orders", "internal", true), (upstream["default"]!.GetValue<string>(), upstream["x-ms-visibility"]!.GetValue<string>(), upstream["required"]!.GetValue<bool>()));
        var lineNumber = operation["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "lineNumber")!;
        Assert.Equal(("integer", 1m), (lineNumber["type"]!.GetValue<string>(), lineNumber["minimum"]!.GetValue<decimal>()));

        // 200 is the envelope with data = the line; failures keep the plain envelope.
        Assert.Equal("#/definitions/OrderLinesGetEnvelope", operation["responses"]!["200"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/definitions/Envelope", operation["responses"]!["502"]!["schema"]!["$ref"]!.GetValue<string>());
        var envelope = definition["definitions"]!["OrderLinesGetEnvelope"]!;
        var data = envelope["properties"]!["data"]!;
        Assert.Equal("#/definitions/OrderLine", data["allOf"]![0]!["$ref"]!.GetValue<string>());
        var baseNames = definition["definitions"]!["Envelope"]!["properties"]!.AsObject().Select(p => p.Key);
        Assert.Equal(baseNames, envelope["properties"]!.AsObject().Select(p => p.Key));

        // The list operation's data is the list object, whose value is a table of orders.
        var list = definition["definitions"]!["OrdersListByCustomerEnvelope"]!["properties"]!["data"]!;
        Assert.Equal("#/definitions/OrderList", list["allOf"]![0]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/definitions/Order", definition["definitions"]!["OrderList"]!["properties"]!["value"]!["items"]!["$ref"]!.GetValue<string>());

        // A forwarded header (If-None-Match) is carried; a 201 answer is mirrored in status mode.
        var listOperation = definition["paths"]!["/call/{upstream}/customers/{customerId}/orders"]!;
        Assert.Contains(listOperation["get"]!["parameters"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "If-None-Match" && p["in"]!.GetValue<string>() == "header");
        Assert.NotNull(listOperation["post"]!["responses"]!["201"]);
    }

    [Fact]
    public void Openapi_3_1_constructs_are_simplified_and_each_simplification_is_said()
    {
        var connector = Generate("kennel.openapi.yaml");
        var definitions = connector.ApiDefinition["definitions"]!;
        var animal = definitions["Animal"]!["properties"]!;

        // type: [string, 'null'] → string + x-nullable; const → a one-value enum; readOnly kept.
        Assert.Equal(("string", "date", true), (animal["born"]!["type"]!.GetValue<string>(), animal["born"]!["format"]!.GetValue<string>(), animal["born"]!["x-nullable"]!.GetValue<bool>()));
        Assert.Equal(["waiting"], animal["status"]!["enum"]!.AsArray().Select(v => v!.GetValue<string>()));
        Assert.True(animal["id"]!["readOnly"]!.GetValue<bool>());
        Assert.Equal("Born", animal["born"]!["x-ms-summary"]!.GetValue<string>());

        // oneOf of Person | Organisation → Person, and the note says so.
        var book = connector.ApiDefinition["paths"]!["/call/{upstream}/visits"]!["post"]!;
        var body = book["parameters"]!.AsArray().Single(p => p!["in"]!.GetValue<string>() == "body")!;
        Assert.Equal("#/definitions/Person", body["schema"]!["properties"]!["visitor"]!["$ref"]!.GetValue<string>());
        Assert.Contains(connector.Notes, n => n.Contains("visitor", StringComparison.Ordinal) && n.Contains("first alternative", StringComparison.Ordinal));
        Assert.Null(definitions["Organisation"]);

        // Markdown links in descriptions become their text.
        Assert.Contains("see our visiting rules.", book["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void What_a_connector_cannot_send_through_the_service_is_left_out_with_a_note()
    {
        var connector = Generate("kennel.openapi.yaml");
        var list = connector.ApiDefinition["paths"]!["/call/{upstream}/animals"]!["get"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();

        Assert.Equal(["upstream", "species", "tag", "limit", "X-Error-Mode"], list);
        Assert.Contains(connector.Notes, n => n.Contains("'code' is reserved", StringComparison.Ordinal));
        Assert.Contains(connector.Notes, n => n.Contains("'X-Kennel-Branch' is not forwarded", StringComparison.Ordinal));
        Assert.Contains(connector.Notes, n => n.Contains("cookie 'session'", StringComparison.Ordinal));
        Assert.Contains(connector.Notes, n => n.Contains("/photo", StringComparison.Ordinal) && n.Contains("image/jpeg", StringComparison.Ordinal));
        Assert.DoesNotContain(connector.Operations, o => o.SourcePath.EndsWith("/photo", StringComparison.Ordinal));
        var tag = connector.ApiDefinition["paths"]!["/call/{upstream}/animals"]!["get"]!["parameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "tag")!;
        Assert.Equal(("array", "multi", "string"), (tag["type"]!.GetValue<string>(), tag["collectionFormat"]!.GetValue<string>(), tag["items"]!["type"]!.GetValue<string>()));
        Assert.Equal("advanced", connector.ApiDefinition["paths"]!["/call/{upstream}/animals/{animalId}"]!["delete"]!["x-ms-visibility"]!.GetValue<string>());
    }

    [Fact]
    public void Long_running_operations_also_get_a_job_start_operation()
    {
        var connector = Generate("orders.swagger.json", longRunning: "Reports_Monthly");

        // Orders_Create answers 202 in the document; Reports_Monthly is marked by the user.
        var create = Assert.Single(connector.Operations, o => o.OperationId == "StartOrdersCreate");
        var monthly = Assert.Single(connector.Operations, o => o.OperationId == "StartReportsMonthly");
        Assert.Equal(("POST", "/jobs/{upstream}/customers/{customerId}/orders"), (create.Method, create.Path));
        Assert.True(create.IsJobStart && monthly.IsJobStart);
        var parameters = connector.ApiDefinition["paths"]!["/jobs/{upstream}/reports/monthly"]!["post"]!["parameters"]!.AsArray();
        var method = parameters.Single(p => p!["name"]!.GetValue<string>() == "X-Job-Method")!;
        Assert.Equal(("GET", "internal"), (method["default"]!.GetValue<string>(), method["x-ms-visibility"]!.GetValue<string>()));
        Assert.Single(parameters, p => p!["name"]!.GetValue<string>() == "Idempotency-Key");
        Assert.NotNull(connector.ApiDefinition["paths"]!["/jobs/{upstream}/reports/monthly"]!["post"]!["responses"]!["202"]);
        Assert.True(connector.ApiDefinition["paths"]!["/jobs/{upstream}/reports/monthly"]!["post"]!["x-ms-long-running-operation"]!.GetValue<bool>());
        Assert.DoesNotContain(connector.Operations, o => o.OperationId == "StartOrderLinesGet");
    }

    [Fact]
    public void Tag_and_operation_filters_select_operations_by_or()
    {
        var document = Read("orders.swagger.json");

        var byTag = ConnectorGenerator.Generate(document, new GeneratorOptions { Upstream = "orders", Tags = new HashSet<string> { "Reports" } });
        var byBoth = ConnectorGenerator.Generate(document, new GeneratorOptions
        {
            Upstream = "orders",
            Tags = new HashSet<string> { "Reports" },
            OperationIds = new HashSet<string> { "OrderLines_Get" },
        });

        Assert.Equal(["ReportsMonthly"], byTag.Operations.Select(o => o.OperationId));
        Assert.Equal(["OrderLinesGet", "ReportsMonthly"], byBoth.Operations.Select(o => o.OperationId).Order(StringComparer.Ordinal));
        var error = Assert.Throws<GeneratorException>(() => ConnectorGenerator.Generate(document, new GeneratorOptions { Upstream = "orders", Tags = new HashSet<string> { "Nope" } }));
        Assert.Contains("--tag", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("a/b")]
    [InlineData("x?y")]
    public void An_upstream_name_that_is_not_one_url_segment_is_refused(string upstream)
    {
        var error = Assert.Throws<GeneratorException>(() => ConnectorGenerator.Generate(Read("orders.swagger.json"), new GeneratorOptions { Upstream = upstream }));

        Assert.Contains("upstream name", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not: [valid", "not a valid OpenAPI")]
    [InlineData("{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"x\"}, \"paths\": {}}", "not a valid OpenAPI")]
    [InlineData("{\"openapi\": \"3.0.3\", \"info\": {\"title\": \"x\", \"version\": \"1\"}, \"paths\": {}}", "describes no paths")]
    public void Unusable_documents_get_a_clear_error(string content, string expected)
    {
        var error = Assert.Throws<GeneratorException>(() => SourceDocument.Parse(Encoding.UTF8.GetBytes(content), "input.yaml"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains("input.yaml", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("listItems", "ListItems", "List Items")]
    [InlineData("Orders_ListByCustomer", "OrdersListByCustomer", "Orders List by Customer")]
    [InlineData("get-the-HTTPStatus", "GetTheHTTPStatus", "Get the HTTP Status")]
    [InlineData("2fa codes", "Op2faCodes", "2fa Codes")]
    public void Names_are_pascal_case_ids_and_title_case_display_names(string source, string id, string displayName)
    {
        Assert.Equal(id, Naming.PascalCase(source));
        Assert.Equal(displayName, Naming.TitleCase(string.Join(' ', Naming.Words(source))));
    }

    [Theory]
    [InlineData("listItems", "List items")]
    [InlineData("Orders_ListByCustomer", "Orders list by customer")]
    [InlineData("get-the-HTTPStatus", "Get the HTTP status")]
    [InlineData("list the animals that are waiting for a home.", "List the animals that are waiting for a home")]
    [InlineData("Lists a customer's orders, newest first", "Lists a customers orders newest first")]
    [InlineData("Send a GET request / page", "Send a GET request page")]
    public void Operation_summaries_are_sentence_case_without_punctuation(string source, string summary) =>
        Assert.Equal(summary, Naming.SentenceSummary(source));

    [Theory]
    [InlineData("lists the API's items", "Lists the service's items.")]
    [InlineData("Calls API Management  twice\nand waits!", "Calls API Management twice and waits!")]
    [InlineData("See [the docs](https://x.invalid).", "See the docs.")]
    public void Descriptions_become_plain_sentences(string source, string sentence) =>
        Assert.Equal(sentence, Naming.Sentence(source));

    [Fact]
    public void Summaries_are_cut_to_80_characters_at_a_word()
    {
        var title = Naming.TitleCase(string.Join(' ', Enumerable.Repeat("everything", 12)) + ".");
        var summary = Naming.SentenceSummary(string.Join(' ', Enumerable.Repeat("everything", 12)) + ".");

        Assert.True(title.Length <= 80 && summary.Length <= 80, title + " / " + summary);
        Assert.EndsWith("Everything", title, StringComparison.Ordinal);
        Assert.EndsWith("everything", summary, StringComparison.Ordinal);
    }

    internal static OpenApiDocument Read(string name) =>
        SourceDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Connectors", "Documents", name)), name);

    [Fact]
    public async Task With_Entra_sign_in_users_sign_in_with_oauth_and_the_function_key_is_still_sent()
    {
        var connector = ConnectorGenerator.Generate(Read("orders.swagger.json"), new GeneratorOptions
        {
            Upstream = "orders",
            EntraSignIn = new EntraSignIn("connector-client-id-placeholder", "api://intermediary-placeholder", "tenant-id-placeholder"),
        });
        var keyOnly = Generate("orders.swagger.json");
        var folder = Directory.CreateTempSubdirectory("connector-").FullName;
        try
        {
            await connector.WriteAsync(folder);
            var file = Path.Combine(folder, "apiDefinition.swagger.json");
            var (exitCode, lint) = await ConnectorRules.SpectralAsync(file);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file));
            Assert.Empty(ConnectorRules.Problems(json.RootElement));
            Assert.True(exitCode == 0 && !lint.Contains("warning", StringComparison.OrdinalIgnoreCase), $"spectral exited {exitCode}:\n{lint}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        var security = connector.ApiDefinition["securityDefinitions"]!.AsObject();
        Assert.Equal(["oauth2-auth"], security.Select(s => s.Key));
        Assert.Equal(("oauth2", "accessCode"), (security["oauth2-auth"]!["type"]!.GetValue<string>(), security["oauth2-auth"]!["flow"]!.GetValue<string>()));
        Assert.StartsWith("https://login.microsoftonline.com/tenant-id-placeholder/", security["oauth2-auth"]!["authorizationUrl"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("oauth2-auth", connector.ApiDefinition["security"]![0]!.AsObject().Single().Key);

        var properties = connector.ApiProperties["properties"]!;
        var parameters = properties["connectionParameters"]!.AsObject();
        Assert.Equal(["token", "function_key", "host"], parameters.Select(p => p.Key));
        var oauth = parameters["token"]!["oAuthSettings"]!;
        Assert.Equal(("aad", "connector-client-id-placeholder"), (oauth["identityProvider"]!.GetValue<string>(), oauth["clientId"]!.GetValue<string>()));
        Assert.Equal("api://intermediary-placeholder", oauth["customParameters"]!["resourceUri"]!["value"]!.GetValue<string>());
        Assert.Equal("api://intermediary-placeholder", oauth["properties"]!["AzureActiveDirectoryResourceId"]!.GetValue<string>());
        Assert.Equal("tenant-id-placeholder", oauth["customParameters"]!["tenantId"]!["value"]!.GetValue<string>());
        Assert.Equal("securestring", parameters["function_key"]!["type"]!.GetValue<string>());
        var setHeader = properties["policyTemplateInstances"]!.AsArray().Single(p => p!["templateId"]!.GetValue<string>() == "setheader")!["parameters"]!;
        Assert.Equal(("x-functions-key", "@connectionParameters('function_key')"),
            (setHeader["x-ms-apimTemplateParameter.name"]!.GetValue<string>(), setHeader["x-ms-apimTemplateParameter.value"]!.GetValue<string>()));
        // Only the security changes: the operations are the key-only connector's.
        Assert.Equal(keyOnly.ApiDefinition["paths"]!.ToJsonString(), connector.ApiDefinition["paths"]!.ToJsonString());
        Assert.Equal("api_key", keyOnly.ApiDefinition["security"]![0]!.AsObject().Single().Key);
    }

    private static GeneratedConnector Generate(string document, string? longRunning = null) =>
        ConnectorGenerator.Generate(Read(document), new GeneratorOptions
        {
            Upstream = Path.GetFileName(document).Split('.')[0],
            LongRunning = longRunning is null ? new HashSet<string>() : new HashSet<string> { longRunning },
        });

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonObject definition) =>
        definition["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => (p.Key, o.Key, o.Value!.AsObject())));

    /// <summary>Swagger 2.0: a <c>$ref</c> points into <c>#/definitions/</c> and has no sibling keys.</summary>
    private static void AssertRefsStandAlone(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["$ref"] is { } reference)
                {
                    Assert.StartsWith("#/definitions/", reference.GetValue<string>(), StringComparison.Ordinal);
                    Assert.True(obj.Count == 1, $"$ref with siblings: {obj.ToJsonString()}");
                }

                foreach (var (_, value) in obj)
                {
                    AssertRefsStandAlone(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    AssertRefsStandAlone(item);
                }

                break;
        }
    }
}
