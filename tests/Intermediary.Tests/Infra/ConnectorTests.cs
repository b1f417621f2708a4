using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Intermediary.Envelopes;
using Intermediary.Jobs;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Intermediary.Tests.Infra;

/// <summary>The custom connector definition parses, matches the envelope exactly, and every operation is served.</summary>
public sealed class ConnectorTests : IAsyncLifetime
{
    private ApimSimulator _simulator = null!;
    private IntermediaryHost _host = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ApimSimulator.StartAsync();
        _host = await IntermediaryHost.StartAsync(_simulator);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _simulator.DisposeAsync();
    }

    [Fact]
    public void The_definition_is_openapi_2_with_no_errors()
    {
        var (document, diagnostic) = Read();

        Assert.Empty(diagnostic!.Errors);
        Assert.Equal(OpenApiSpecVersion.OpenApi2_0, diagnostic!.SpecificationVersion);
        Assert.NotEmpty(document.Paths);
    }

    [Fact]
    public void The_envelope_schema_has_exactly_the_properties_the_envelope_serializes()
    {
        var (document, _) = Read();
        var schema = document.Components!.Schemas!["Envelope"];
        var serialized = JsonSerializer.SerializeToElement(
            Envelope.Failure(EnvelopeCode.Ok, "m") with
            {
                Upstream = new UpstreamDetails(1, "", "", "", "") { Claims = "" },
                Job = new JobDetails("", "", "", null, null, null, null),
                Cache = new CacheDetails(false, false, false, 0),
            },
            EnvelopeJsonContext.Default.Envelope);

        Assert.Equal(Names(serialized), schema.Properties!.Keys.Order(StringComparer.Ordinal));
        // upstream and job are allOf wrappers around their definitions, so they can carry an x-ms-summary.
        var upstream = Assert.Single(schema.Properties["upstream"].AllOf!);
        var job = Assert.Single(schema.Properties["job"].AllOf!);
        Assert.Equal(Names(serialized.GetProperty("upstream")), upstream.Properties!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Names(serialized.GetProperty("job")), job.Properties!.Keys.Order(StringComparer.Ordinal));
        var cache = Assert.Single(schema.Properties["cache"].AllOf!);
        Assert.Equal(Names(serialized.GetProperty("cache")), cache.Properties!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Enum.GetNames<EnvelopeCode>().Order(StringComparer.Ordinal), schema.Properties["code"].Enum!.Select(Value).Order(StringComparer.Ordinal));
        Assert.Equal(Enum.GetValues<JobStatus>().Select(s => s.ToWire()).Order(StringComparer.Ordinal),
            job.Properties["status"].Enum!.Select(Value).Order(StringComparer.Ordinal));
    }

    [Fact]
    // Units in parentheses ("Duration (ms)") keep their own case.
    public void Summaries_are_title_case_and_short_and_descriptions_are_sentences()
    {
        using var definition = JsonDocument.Parse(InfraFiles.ReadText("connector", "apiDefinition.swagger.json"));
        var found = ConnectorRules.Problems(definition.RootElement);
        var envelope = definition.RootElement.GetProperty("definitions").GetProperty("Envelope").GetProperty("properties");

        Assert.Empty(found);
        Assert.All(envelope.EnumerateObject(), p => Assert.True(p.Value.TryGetProperty("x-ms-summary", out _), $"Envelope.{p.Name} has no x-ms-summary"));
        Assert.StartsWith("    \"swagger\"", InfraFiles.ReadText("connector", "apiDefinition.swagger.json").Split('\n')[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Every_operation_is_described_for_makers_and_answers_with_the_envelope()
    {
        var (document, _) = Read();
        var envelope = document.Components!.Schemas!["Envelope"];
        var operations = document.Paths.SelectMany(p => p.Value.Operations!.Select(o => (Path: p.Key, Method: o.Key, Operation: o.Value))).ToList();

        Assert.Contains(operations, o => o.Operation.OperationId == "StartJob");
        Assert.Equal(operations.Count, operations.Select(o => o.Operation.OperationId).Distinct().Count());
        foreach (var (path, method, operation) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{method} {path} has no summary");
            Assert.True(operation.Responses?.Count > 0, $"{method} {path} has no responses");
            // The envelope, or for a typed operation's 200 the envelope with data typed (the same properties).
            Assert.All(operation.Responses!, r =>
            {
                var id = (r.Value.Content?.Values.FirstOrDefault()?.Schema as OpenApiSchemaReference)?.Reference.Id;
                Assert.True(id == "Envelope" || (r.Key is "200" or "201" && id == operation.OperationId + "Envelope"), $"{method} {path} {r.Key}: {id}");
                Assert.Equal(envelope.Properties!.Keys, document.Components.Schemas![id!].Properties!.Keys);
            });
        }
    }

    [Fact]
    public void The_item_operations_give_power_fx_typed_data()
    {
        var (document, _) = Read();
        var schemas = document.Components!.Schemas!;

        var list = schemas["ListItemsEnvelope"].Properties!["data"];
        Assert.Equal(JsonSchemaType.Array, list.Type & ~JsonSchemaType.Null);
        Assert.Equal("Item", ((OpenApiSchemaReference)list.Items!).Reference.Id);
        Assert.Equal("Item", ((OpenApiSchemaReference)Assert.Single(schemas["GetItemEnvelope"].Properties!["data"].AllOf!)).Reference.Id);
        Assert.Equal(["id", "name", "price"], schemas["Item"].Properties!.Keys);
        Assert.Equal(JsonSchemaType.Number, schemas["Item"].Properties!["price"].Type);
    }

    [Fact]
    public async Task The_shipped_connector_is_the_generators_output_for_the_demo_document()
    {
        // The command in infra/connector/README.md, into a temporary folder: any hand edit or a generator change
        // without regenerating shows here.
        var root = Configuration.SampleSettingsTests.RepositoryRoot();
        var folder = Directory.CreateTempSubdirectory("connector-").FullName;
        try
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            var exitCode = await Intermediary.Connectors.GeneratorCommand.RunAsync(
                ["--openapi", Path.Combine(root, "src", "Intermediary.Simulator", "Api", "demo-api.openapi.json"), "--upstream", "demo", "--tag", "items", "--out", folder],
                output,
                error);

            Assert.True(exitCode == 0, error.ToString());
            Assert.Contains(RegenerateCommand, InfraFiles.ReadText("connector", "README.md"), StringComparison.Ordinal);
            foreach (var file in new[] { "apiDefinition.swagger.json", "apiProperties.json", "operations.md" })
            {
                Assert.True(
                    (await File.ReadAllTextAsync(Path.Combine(folder, file))).ReplaceLineEndings() == InfraFiles.ReadText("connector", file).ReplaceLineEndings(),
                    $"infra/connector/{file} is stale: run {RegenerateCommand}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private const string RegenerateCommand =
        "dotnet run --project src/Intermediary.Connectors -- --openapi src/Intermediary.Simulator/Api/demo-api.openapi.json --upstream demo --tag items --out infra/connector";

    [Fact]
    public async Task Every_operation_is_served_by_the_server_host()
    {
        var (document, _) = Read();

        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, _) in item.Operations!)
            {
                // Jobs share one path, /jobs/{target}: an upstream name to start one, a job id to poll or cancel it.
                var target = method == HttpMethod.Post ? "demo" : JobRecord.NewId();
                var url = "api" + path.Replace("{upstream}", "demo", StringComparison.Ordinal)
                    .Replace("{id}", "1", StringComparison.Ordinal)
                    .Replace("{target}", target, StringComparison.Ordinal)
                    .Replace("{path}", "items", StringComparison.Ordinal);
                Assert.DoesNotContain("{", url, StringComparison.Ordinal);
                var response = await _host.SendAsync(method, url, request =>
                {
                    if (method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch)
                    {
                        var body = path.StartsWith("/jobs", StringComparison.Ordinal) ? """{"path":"/items"}""" : """{"name":"from the connector test","price":1}""";
                        request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                    }
                });

                Assert.False(response.Message.StartsWith("No endpoint matches", StringComparison.Ordinal), $"{method} {url}: {response}");
                Assert.NotEqual("MethodNotAllowed", response.Code);
                Assert.True(response.Ok || response.Code == "JobNotFound", $"{method} {url}: {response}");
            }
        }
    }

    private static (OpenApiDocument Document, OpenApiDiagnostic? Diagnostic) Read()
    {
        var result = OpenApiDocument.Parse(InfraFiles.ReadText("connector", "apiDefinition.swagger.json"), OpenApiConstants.Json);
        return (result.Document!, result.Diagnostic);
    }

    private static IEnumerable<string> Names(JsonElement element) =>
        element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);

    private static string Value(JsonNode value) => value.GetValue<string>();
}
