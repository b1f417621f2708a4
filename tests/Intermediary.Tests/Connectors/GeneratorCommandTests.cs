using Intermediary.Connectors;

namespace Intermediary.Tests.Connectors;

/// <summary>The command line: usage, exit codes and one-line errors a platform engineer can act on.</summary>
public sealed class GeneratorCommandTests
{
    private static readonly string s_orders = Path.Combine(AppContext.BaseDirectory, "Connectors", "Documents", "orders.swagger.json");

    [Fact]
    public async Task Help_prints_the_usage_and_succeeds()
    {
        var (exitCode, output, error) = await RunAsync("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--openapi <file|URL>", output, StringComparison.Ordinal);
        Assert.Contains("--long-running <id>", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Fact]
    public async Task No_arguments_print_the_usage_and_fail()
    {
        var (exitCode, output, _) = await RunAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--upstream", "orders", "--out", "x" }, "--openapi is required")]
    [InlineData(new[] { "--openapi", "a.json", "--upstream" }, "--upstream needs a value")]
    [InlineData(new[] { "--openapi", "a.json", "--openapi", "b.json", "--upstream", "u", "--out", "x" }, "--openapi is given twice")]
    [InlineData(new[] { "--openapi", "a.json", "--upstream", "u", "--out", "x", "--colour", "blue" }, "Unknown option --colour")]
    [InlineData(new[] { "--openapi", "/nonexistent/api.json", "--upstream", "u", "--out", "x" }, "Could not read the OpenAPI document '/nonexistent/api.json'")]
    [InlineData(new[] { "--openapi", "a.json", "--upstream", "u", "--out", "x", "--entra-client-id", "c" }, "needs both --entra-client-id and --entra-resource")]
    [InlineData(new[] { "--openapi", "a.json", "--upstream", "u", "--out", "x", "--entra-resource", "api://s" }, "needs both --entra-client-id and --entra-resource")]
    [InlineData(new[] { "--openapi", "a.json", "--upstream", "u", "--out", "x", "--entra-tenant", "t" }, "needs both --entra-client-id and --entra-resource")]
    public async Task Bad_arguments_get_one_clear_line_and_exit_code_2(string[] args, string expected)
    {
        var (exitCode, _, error) = await RunAsync(args);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_writes_the_three_files_and_prints_its_notes()
    {
        var folder = Path.Combine(Path.GetTempPath(), "connector-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, output, error) = await RunAsync("--openapi", s_orders, "--upstream", "orders", "--out", folder, "--title", "Order Desk", "--host", "orders-intermediary.example.com");

            Assert.True(exitCode == 0, error);
            Assert.Contains("note: POST /customers/{customerId}/documents: only JSON request bodies", output, StringComparison.Ordinal);
            Assert.Contains("Generated 5 operation(s) for upstream 'orders'", output, StringComparison.Ordinal);
            var definition = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "apiDefinition.swagger.json")))!;
            Assert.Equal(("Order Desk", "orders-intermediary.example.com"), (definition["info"]!["title"]!.GetValue<string>(), definition["host"]!.GetValue<string>()));
            Assert.True(File.Exists(Path.Combine(folder, "apiProperties.json")));
            Assert.Contains("OrderDesk.OrderLinesGet(", await File.ReadAllTextAsync(Path.Combine(folder, "operations.md")), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await GeneratorCommand.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
