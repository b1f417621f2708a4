using System.Reflection;
using Intermediary.Endpoints;
using Intermediary.Server;
using Intermediary.Tests.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.Extensions.Configuration;

namespace Intermediary.Tests.Hosts;

/// <summary>
/// Guards the Functions adapter without its packages: its source is parsed (Roslyn syntax only) and compared with
/// the Server host's real endpoint table, so the two hosts cannot drift apart.
/// </summary>
public sealed class FunctionsParityTests
{
    private static readonly string[] s_coreEntryPoints = [nameof(CallHandler), nameof(HealthHandler), nameof(JobHandler), "JobRunner", "JobMaintenance"];

    [Fact]
    public async Task Every_server_route_has_a_function_with_the_same_template_and_methods_and_back()
    {
        var server = await ServerRoutesAsync();
        // The catch-all is the Functions twin of the Server host's fallback route, not an endpoint.
        var functions = HttpFunctions().Where(f => !IsCatchAll(f)).Select(f => (f.Route, f.Methods)).ToHashSet(new RouteComparer());

        Assert.NotEmpty(server);
        foreach (var route in server)
        {
            Assert.True(functions.Contains(route), $"No function serves {string.Join(",", route.Methods)} {route.Route}");
        }

        foreach (var route in functions)
        {
            Assert.True(server.Contains(route, new RouteComparer()), $"The Server host does not serve {string.Join(",", route.Methods)} {route.Route}");
        }
    }

    [Fact]
    public void Every_http_function_requires_a_function_key_except_liveness_and_the_catch_all()
    {
        var functions = HttpFunctions();
        string? Body(HttpFunction f) => FunctionMethods().Single(m => FunctionName(m) == f.Name).ExpressionBody?.Expression.ToString();

        Assert.NotEmpty(functions);
        var anonymous = functions.Where(f => f.AuthorizationLevel != "AuthorizationLevel.Function").OrderBy(f => f.Route, StringComparer.Ordinal).ToList();
        Assert.All(anonymous, f => Assert.Equal("AuthorizationLevel.Anonymous", f.AuthorizationLevel));
        Assert.Equal(["health/live", "{*rest}"], anonymous.Select(f => f.Route));
        // Each anonymous function is nothing but an answer of its own: it can never reach an upstream or a token.
        Assert.Equal(["GET"], anonymous[0].Methods);
        Assert.Equal($"{nameof(HealthHandler)}.{nameof(HealthHandler.Live)}()", Body(anonymous[0]));
        Assert.Empty(anonymous[1].Methods);
        Assert.Equal($"{nameof(IntermediaryFallback)}.{nameof(IntermediaryFallback.Answer)}(request.HttpContext)", Body(anonymous[1]));
    }

    [Fact]
    public void Every_function_body_is_one_call_into_a_core_entry_point()
    {
        var methods = FunctionMethods().ToList();

        Assert.Contains(methods, m => m.Identifier.Text == "RunJob");
        foreach (var method in methods)
        {
            var parameters = ConstructorParameterTypes(method);
            var calls = method.DescendantNodes().OfType<InvocationExpressionSyntax>()
                .Select(i => i.Expression).OfType<MemberAccessExpressionSyntax>()
                .Where(a => a.Expression is IdentifierNameSyntax receiver
                    && (receiver.Identifier.Text is nameof(IntermediaryFallback) or nameof(HealthHandler)
                        || (parameters.TryGetValue(receiver.Identifier.Text, out var type) && s_coreEntryPoints.Contains(type))))
                .ToList();
            Assert.True(calls.Count is >= 1, $"{method.Identifier.Text} does not call a core handler");
            var statements = method.Body?.Statements.Count ?? 1;
            Assert.True(statements <= 3, $"{method.Identifier.Text} has {statements} statements; behaviour belongs in the core");
        }
    }

    [Fact]
    public void The_queue_trigger_runs_one_job_through_the_runner()
    {
        var runJob = FunctionMethods().Single(m => m.Identifier.Text == "RunJob");

        var trigger = runJob.ParameterList.Parameters.Single(p => p.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() == "QueueTrigger"));
        var message = trigger.Identifier.Text;
        var run = runJob.DescendantNodes().OfType<InvocationExpressionSyntax>()
            .Single(i => i.Expression is MemberAccessExpressionSyntax { Name.Identifier.Text: "RunAsync" } access
                && ConstructorParameterTypes(runJob).GetValueOrDefault(((IdentifierNameSyntax)access.Expression).Identifier.Text) == "JobRunner");
        var arguments = run.ArgumentList.Arguments.Select(a => a.Expression).ToList();

        // The job id is the message's text and the delivery count its dequeue count, so poison detection sees redeliveries.
        Assert.Equal("QueueMessage", trigger.Type?.ToString());
        Assert.Equal($"{message}.MessageText", arguments[0].ToString());
        Assert.Equal($"{message}.DequeueCount", Assert.IsType<CastExpressionSyntax>(arguments[1]).Expression.ToString());
        Assert.Equal(3, arguments.Count);
        // On shutdown an unfinished run must make the host deliver the message again: the function throws then.
        Assert.NotEmpty(runJob.DescendantNodes().OfType<ThrowStatementSyntax>());
    }

    [Fact]
    public void Host_json_fits_the_routes_and_the_job_design()
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(SampleSettingsTests.RepositoryRoot(), "host.json")));
        var root = document.RootElement;
        var extensions = root.GetProperty("extensions");

        Assert.Equal("2.0", root.GetProperty("version").GetString());
        Assert.Equal("OpenTelemetry", root.GetProperty("telemetryMode").GetString());
        Assert.Equal(IntermediaryRoutes.Prefix, extensions.GetProperty("http").GetProperty("routePrefix").GetString());
        // One more delivery than the runner allows, so the runner fails the job clearly before the runtime poisons the message.
        Assert.Equal(new Intermediary.Configuration.JobOptions().MaxDeliveries + 1, extensions.GetProperty("queues").GetProperty("maxDequeueCount").GetInt32());
        Assert.Equal("base64", extensions.GetProperty("queues").GetProperty("messageEncoding").GetString());
        Assert.True(TimeSpan.Parse(root.GetProperty("functionTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > new Intermediary.Configuration.JobOptions().Timeout,
            "functionTimeout must leave room for a whole job");
    }

    private static async Task<List<(string Route, string[] Methods)>> ServerRoutesAsync()
    {
        await using var app = await IntermediaryServer.CreateAsync(["--urls", "http://127.0.0.1:0"], b =>
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Intermediary:FunctionKeys:k"] = "k",
                ["Intermediary:Upstreams:u:BaseUrl"] = "https://example.invalid/",
                ["Intermediary:Upstreams:u:AllowedPaths:0"] = "/",
                ["Intermediary:Upstreams:u:Credential"] = "None",
            }));
        var prefix = IntermediaryRoutes.Prefix + "/";
        return ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/" + prefix, StringComparison.Ordinal) == true)
            .Select(e => (e.RoutePattern.RawText![(prefix.Length + 1)..], e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods.Select(m => m.ToUpperInvariant()).Order().ToArray()))
            .ToList();
    }

    private static bool IsCatchAll(HttpFunction function) => function.Route.StartsWith("{*", StringComparison.Ordinal);

    private sealed record HttpFunction(string Name, string Route, string[] Methods, string AuthorizationLevel);

    private static List<HttpFunction> HttpFunctions()
    {
        var routes = typeof(IntermediaryRoutes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).ToDictionary(f => $"{nameof(IntermediaryRoutes)}.{f.Name}", f => (string)f.GetRawConstantValue()!);
        var functions = new List<HttpFunction>();
        foreach (var method in FunctionMethods())
        {
            var trigger = method.ParameterList.Parameters.SelectMany(p => p.AttributeLists).SelectMany(l => l.Attributes)
                .FirstOrDefault(a => a.Name.ToString() is "HttpTrigger" or "HttpTriggerAttribute");
            if (trigger?.ArgumentList is not { } arguments)
            {
                continue;
            }

            var level = arguments.Arguments[0].Expression.ToString();
            var methods = arguments.Arguments.Skip(1).Where(a => a.NameEquals is null).Select(a => a.Expression)
                .OfType<LiteralExpressionSyntax>().Select(l => l.Token.ValueText.ToUpperInvariant()).Order().ToArray();
            var routeExpression = arguments.Arguments.Single(a => a.NameEquals?.Name.Identifier.Text == "Route").Expression;
            var route = routeExpression is LiteralExpressionSyntax literal ? literal.Token.ValueText : routes[routeExpression.ToString()];
            functions.Add(new HttpFunction(FunctionName(method), route, methods, level));
        }

        return functions;
    }

    private static IEnumerable<MethodDeclarationSyntax> FunctionMethods()
    {
        var folder = Path.Combine(SampleSettingsTests.RepositoryRoot(), "src", "Intermediary.Functions");
        var files = Directory.GetFiles(folder, "*.cs").Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        return files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: f).GetRoot())
            .SelectMany(root => root.DescendantNodes().OfType<MethodDeclarationSyntax>())
            .Where(m => m.AttributeLists.SelectMany(l => l.Attributes).Any(a => a.Name.ToString() is "Function" or "FunctionAttribute"));
    }

    private static string FunctionName(MethodDeclarationSyntax method) =>
        method.AttributeLists.SelectMany(l => l.Attributes).First(a => a.Name.ToString() is "Function" or "FunctionAttribute")
            .ArgumentList!.Arguments[0].Expression.ToString().Trim('"');

    /// <summary>Primary constructor parameter name → type name, for the class declaring <paramref name="method"/>.</summary>
    private static Dictionary<string, string> ConstructorParameterTypes(MethodDeclarationSyntax method)
    {
        var type = method.Ancestors().OfType<ClassDeclarationSyntax>().First();
        return type.ParameterList?.Parameters.ToDictionary(p => p.Identifier.Text, p => p.Type!.ToString()) ?? [];
    }

    private sealed class RouteComparer : IEqualityComparer<(string Route, string[] Methods)>
    {
        public bool Equals((string Route, string[] Methods) x, (string Route, string[] Methods) y) =>
            x.Route == y.Route && x.Methods.SequenceEqual(y.Methods);

        public int GetHashCode((string Route, string[] Methods) obj) => HashCode.Combine(obj.Route, string.Join(",", obj.Methods));
    }
}
