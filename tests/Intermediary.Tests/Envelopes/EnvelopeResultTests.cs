using System.Text.Json;
using Intermediary.Configuration;
using Intermediary.Envelopes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Intermediary.Tests.Envelopes;

/// <summary>
/// How an envelope becomes the HTTP response, on a plain <see cref="DefaultHttpContext"/>: the status per error mode,
/// the headers every answer carries, and the body flushed to the response stream.
/// </summary>
public sealed class EnvelopeResultTests
{
    private static readonly Envelope RateLimited = Envelope.Failure(EnvelopeCode.RateLimited, "Slow down.", EnvelopeSource.Gateway) with
    {
        Retryable = true,
        RetryAfterSeconds = 7,
        CorrelationId = "decided-elsewhere",
    };

    [Fact]
    public async Task By_default_a_failure_is_answered_200_with_every_header_and_the_requests_correlation_id()
    {
        var context = Context(offeredId: "order-42");

        await new EnvelopeResult(RateLimited, new Dictionary<string, string> { ["Location"] = "/api/jobs/demo/1" }).ExecuteAsync(context);

        var (response, body) = (context.Response, Body(context));
        Assert.Equal(200, response.StatusCode);
        Assert.Equal("application/json; charset=utf-8", response.ContentType);
        Assert.Equal("no-store", response.Headers.CacheControl);
        Assert.Equal("order-42", response.Headers[CorrelationId.HeaderName]);
        Assert.Equal("7", response.Headers.RetryAfter);
        Assert.Equal("/api/jobs/demo/1", response.Headers.Location);
        Assert.Equal("order-42", body.GetProperty("correlationId").GetString());
        Assert.Equal(("RateLimited", 429), (body.GetProperty("code").GetString(), body.GetProperty("status").GetInt32()));
    }

    [Theory]
    [InlineData(ErrorMode.Status, null, 429)]
    [InlineData(ErrorMode.Body, "status", 429)]
    [InlineData(ErrorMode.Status, "body", 200)]
    public async Task The_configured_or_requested_error_mode_decides_the_status(ErrorMode configured, string? requested, int expected)
    {
        var context = Context(configured: configured, requestedMode: requested);

        await new EnvelopeResult(RateLimited).ExecuteAsync(context);

        Assert.Equal(expected, context.Response.StatusCode);
    }

    [Fact]
    public async Task A_protocol_status_holds_in_both_error_modes()
    {
        var started = new Envelope { Ok = true, Status = 202, Code = EnvelopeCode.Accepted, Message = "Started." };
        var inStatusMode = Context(configured: ErrorMode.Status);
        var inBodyMode = Context();

        await new EnvelopeResult(RateLimited, statusOverride: 200).ExecuteAsync(inStatusMode);
        await new EnvelopeResult(started, statusOverride: 202).ExecuteAsync(inBodyMode);

        Assert.Equal((200, 202), (inStatusMode.Response.StatusCode, inBodyMode.Response.StatusCode));
        Assert.Null(inBodyMode.Response.Headers.RetryAfter.FirstOrDefault());
    }

    [Fact]
    public async Task An_envelope_already_carrying_the_requests_id_is_written_as_it_is()
    {
        var context = Context(offeredId: "decided-elsewhere");

        await new EnvelopeResult(RateLimited).ExecuteAsync(context);

        Assert.Equal("decided-elsewhere", Body(context).GetProperty("correlationId").GetString());
    }

    [Fact]
    public async Task As_an_MVC_action_result_it_writes_the_same_answer()
    {
        var context = Context(offeredId: "order-43");
        IActionResult result = new EnvelopeResult(RateLimited);

        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor()));

        Assert.Equal("order-43", Body(context).GetProperty("correlationId").GetString());
        await Assert.ThrowsAsync<ArgumentNullException>(() => result.ExecuteResultAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => new EnvelopeResult(RateLimited).ExecuteAsync(null!));
    }

    [Fact]
    public void An_envelope_made_without_a_correlation_id_has_an_empty_one_until_it_is_answered() =>
        Assert.Equal("", Envelope.Failure(EnvelopeCode.NotFound, "No such item.").CorrelationId);

    private static DefaultHttpContext Context(ErrorMode? configured = null, string? requestedMode = null, string? offeredId = null)
    {
        var services = new ServiceCollection();
        if (configured is { } mode)
        {
            services.AddSingleton(Options.Create(new IntermediaryOptions { ErrorMode = mode }));
        }

        var context = new DefaultHttpContext { RequestServices = services.BuildServiceProvider() };
        context.Response.Body = new MemoryStream();
        if (requestedMode is not null)
        {
            context.Request.Headers[ErrorModeSelector.HeaderName] = requestedMode;
        }

        if (offeredId is not null)
        {
            context.Request.Headers[CorrelationId.HeaderName] = offeredId;
        }

        return context;
    }

    private static JsonElement Body(HttpContext context) =>
        JsonDocument.Parse(((MemoryStream)context.Response.Body).ToArray()).RootElement;
}
