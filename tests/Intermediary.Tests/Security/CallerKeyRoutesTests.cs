using Intermediary.Endpoints;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Security;

/// <summary>
/// Every route the Server host maps under <c>/api</c>, read from its own endpoint list (so a route added later is
/// covered without editing this test), refuses a call without a valid key before any handler runs — except the
/// liveness probe, which is anonymous on purpose.
/// </summary>
public sealed class CallerKeyRoutesTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private readonly ApimSimulator _simulator = fixture.Simulator;
    private readonly IntermediaryHost _host = fixture.Host;

    [Fact]
    public async Task Every_keyed_route_and_method_refuses_a_missing_or_wrong_key()
    {
        var routes = KeyedRoutes();
        // Six templates (call, call root, health, job start in both shapes, job poll/cancel); the two call templates
        // with each of their seven methods: 19 route-method pairs in all.
        Assert.Equal(6, routes.Select(r => r.Pattern).Distinct().Count());
        Assert.Equal(19, routes.Count);
        var before = _simulator.GatewayRequestCount;

        foreach (var (pattern, method) in routes)
        {
            var url = Fill(pattern) + "?errorMode=status";
            var missing = await _host.CallAsync(new HttpMethod(method), url, withKey: false);
            var wrong = await _host.CallAsync(new HttpMethod(method), url, r => r.Headers.Add("x-functions-key", "wrong-key"), withKey: false);

            foreach (var response in new[] { missing, wrong })
            {
                Assert.True(response.StatusCode == 401, $"{method} {url} answered {response.StatusCode} without a valid key");
                // A HEAD response carries no body: its status and challenge are all a caller sees.
                Assert.Equal(method == "HEAD" ? "" : "Unauthenticated", method == "HEAD" ? response.Body : response.Code);
                Assert.Equal("FunctionKey", response.Headers["WWW-Authenticate"]);
            }
        }

        Assert.Equal(before, _simulator.GatewayRequestCount);
    }

    [Fact]
    public async Task The_liveness_probe_answers_without_a_key()
    {
        var live = await _host.CallAsync(HttpMethod.Get, "api/" + IntermediaryRoutes.Live, withKey: false);

        Assert.Equal(200, live.StatusCode);
        Assert.True(live.Ok);
    }

    private List<(string Pattern, string Method)> KeyedRoutes() =>
        _host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/", StringComparison.Ordinal)
                && raw != "/api/" + IntermediaryRoutes.Live)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (e.RoutePattern.RawText!, m)))
            .ToList();

    /// <summary>A concrete URL for a template: the demo upstream, a job id, and a path the upstream allows.</summary>
    private static string Fill(string pattern) => pattern.TrimStart('/')
        .Replace("{upstream}", "demo", StringComparison.Ordinal)
        .Replace("{**path}", "items", StringComparison.Ordinal)
        .Replace("{id}", new string('a', 32), StringComparison.Ordinal);
}
