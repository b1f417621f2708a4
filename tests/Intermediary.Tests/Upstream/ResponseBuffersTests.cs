using System.Net;
using Intermediary.Envelopes;
using Intermediary.Tests.Infrastructure;
using Intermediary.Upstream;
using Microsoft.Extensions.DependencyInjection;

namespace Intermediary.Tests.Upstream;

/// <summary>Many concurrent large answers cannot hold more memory than the one process-wide allowance.</summary>
public sealed class ResponseBuffersTests
{
    private static readonly string s_large = "[" + string.Join(',', Enumerable.Repeat("\"0123456789\"", 4_000)) + "]";

    private static UpstreamHarness Harness(ScriptedHandler handler) => new(handler, new()
    {
        ["Intermediary:MaxBufferedResponseBytes"] = "100000",
        ["Intermediary:Upstreams:api:MaxResponseBodyBytes"] = "100000",
    });

    [Fact]
    public async Task A_body_that_does_not_fit_the_allowance_is_ServiceUnavailable_at_once_and_not_retried()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK, s_large)));
        using var harness = Harness(handler);
        var buffers = harness.Services.GetRequiredService<ResponseBuffers>();
        Assert.True(buffers.TryReserve(80_000), "another call holds most of the allowance");

        var refused = await harness.SendAsync(HttpMethod.Get);
        buffers.Release(80_000);
        var served = await harness.SendAsync(HttpMethod.Get);

        Assert.Equal(EnvelopeCode.ServiceUnavailable, refused.Code);
        Assert.Equal(EnvelopeSource.Intermediary, refused.Source);
        Assert.True(refused.Retryable);
        Assert.NotNull(refused.RetryAfterSeconds);
        Assert.Equal(1, refused.Attempts);
        Assert.True(served.Ok, served.Message);
        Assert.Equal(2, handler.Count);
    }

    [Fact]
    public void The_allowance_can_be_reserved_to_the_last_byte_and_not_one_past_it()
    {
        var buffers = new ResponseBuffers(Microsoft.Extensions.Options.Options.Create(new Intermediary.Configuration.IntermediaryOptions { MaxBufferedResponseBytes = 100 }));

        Assert.True(buffers.TryReserve(60));
        Assert.True(buffers.TryReserve(40));
        Assert.False(buffers.TryReserve(1));
        Assert.Equal(100, buffers.InUse);
        buffers.Release(100);
        Assert.Equal(0, buffers.InUse);
    }

    [Fact]
    public async Task A_retry_gives_back_the_previous_attempts_body_before_reading_its_own()
    {
        // Each body takes over half the allowance: a retry that still held the first one would be refused for memory.
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n == 1
            ? ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, s_large)
            : ScriptedHandler.Json(HttpStatusCode.OK, s_large)));
        using var harness = Harness(handler);

        var envelope = await harness.SendAsync(HttpMethod.Get);

        Assert.True(envelope.Ok, envelope.Message);
        Assert.Equal(2, envelope.Attempts);
        Assert.Equal(0, harness.Services.GetRequiredService<ResponseBuffers>().InUse);
    }

    [Fact]
    public async Task Every_call_gives_its_allowance_back_whatever_its_outcome()
    {
        var handler = new ScriptedHandler((_, n, _) => Task.FromResult(n % 2 == 0
            ? ScriptedHandler.Json(HttpStatusCode.OK, s_large)
            : ScriptedHandler.Json(HttpStatusCode.ServiceUnavailable, s_large)));
        using var harness = Harness(handler);
        var buffers = harness.Services.GetRequiredService<ResponseBuffers>();

        for (var i = 0; i < 5; i++)
        {
            await harness.SendAsync(HttpMethod.Get);
        }

        Assert.True(handler.Count > 5, "retries happened");
        Assert.Equal(0, buffers.InUse);
    }

    [Fact]
    public async Task Refusals_for_memory_never_open_the_circuit_for_others()
    {
        var handler = new ScriptedHandler((_, _, _) => Task.FromResult(ScriptedHandler.Json(HttpStatusCode.OK, s_large)));
        using var harness = new UpstreamHarness(handler, new()
        {
            ["Intermediary:MaxBufferedResponseBytes"] = "100000",
            ["Intermediary:Upstreams:api:MaxResponseBodyBytes"] = "100000",
            ["Intermediary:Upstreams:api:Resilience:CircuitBreakerMinimumThroughput"] = "2",
        });
        var buffers = harness.Services.GetRequiredService<ResponseBuffers>();
        buffers.TryReserve(80_000);
        for (var i = 0; i < 6; i++)
        {
            await harness.SendAsync(HttpMethod.Get);
        }

        buffers.Release(80_000);
        var after = await harness.SendAsync(HttpMethod.Get);

        Assert.True(after.Ok, after.Message);
    }
}
