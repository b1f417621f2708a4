using System.Diagnostics.Metrics;
using System.Text;
using Intermediary.Diagnostics;
using Intermediary.Jobs;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Intermediary.Tests.Integration;

/// <summary>An upstream that reflects request headers (the simulator's /echo) never hands our credentials to callers.</summary>
public sealed class CredentialEchoTests(SimulatorFixture fixture) : IClassFixture<SimulatorFixture>
{
    private ApimSimulator Simulator => fixture.Simulator;

    private IntermediaryHost Host => fixture.Host;

    [Fact]
    public async Task A_synchronous_echo_comes_back_without_our_token_or_subscription_key_and_is_counted()
    {
        using var redactions = new MetricCollector<long>(Host.Services.GetRequiredService<IMeterFactory>(), IntermediaryDiagnostics.Name, "intermediary.credentials.redacted");
        var marker = Guid.NewGuid().ToString("N");

        var response = await Host.GetAsync($"api/call/demo/echo?m={marker}");

        var sent = Simulator.Requests.Single(r => r.PathAndQuery.Contains(marker, StringComparison.Ordinal));
        var token = sent.Headers["Authorization"]["Bearer ".Length..];
        Assert.True(response.Ok, response.ToString());
        Assert.DoesNotContain(token, response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(Simulator.Options.SubscriptionKey, response.Body, StringComparison.Ordinal);
        var headers = response.Data.GetProperty("headers");
        Assert.Equal("Bearer [redacted]", headers.GetProperty("Authorization").GetString());
        Assert.Equal("[redacted]", headers.GetProperty("Ocp-Apim-Subscription-Key").GetString());
        var counted = Assert.Single(redactions.GetMeasurementSnapshot());
        Assert.Equal(2, counted.Value);
        Assert.Equal("demo", counted.Tags["upstream"]);
        Assert.Contains(Host.Logs.Lines, l => l.Contains("echoed this service's credentials 2 time(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_job_that_calls_an_echo_stores_and_returns_a_result_without_our_credentials()
    {
        var started = await Host.SendAsync(HttpMethod.Post, "api/jobs/demo", r =>
            r.Content = new StringContent("""{"method":"POST","path":"/echo","body":{"note":"job"}}""", Encoding.UTF8, "application/json"));

        var done = await Host.WaitForJobAsync(started.StatusUrl);
        var stored = await Host.Services.GetRequiredService<IJobStore>().GetAsync(started.Job.GetProperty("id").GetString()!, default);

        var token = Simulator.Requests.Last(r => r.PathAndQuery.StartsWith("/demo/echo", StringComparison.Ordinal)).Headers["Authorization"]["Bearer ".Length..];
        Assert.Equal("succeeded", done.JobStatus);
        Assert.Contains("\"note\":\"job\"", done.Data.GetProperty("body").GetString(), StringComparison.Ordinal);
        foreach (var text in new[] { done.Body, stored!.ResultJson! })
        {
            Assert.DoesNotContain(token, text, StringComparison.Ordinal);
            Assert.DoesNotContain(Simulator.Options.SubscriptionKey, text, StringComparison.Ordinal);
        }
    }
}
