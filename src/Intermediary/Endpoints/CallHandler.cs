using Intermediary.Envelopes;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Intermediary.Endpoints;

/// <summary><c>ANY /api/call/{upstream}/{**path}</c>: validate, forward through the upstream client, answer with an envelope.</summary>
public sealed class CallHandler
{
    private readonly RequestIntake _intake;
    private readonly UpstreamClient _client;
    private readonly ILogger<CallHandler> _logger;

    internal CallHandler(RequestIntake intake, UpstreamClient client, ILogger<CallHandler> logger)
    {
        _intake = intake;
        _client = client;
        _logger = logger;
    }

    /// <summary>Handles one call; never throws for bad input or upstream failures.</summary>
    public Task<EnvelopeResult> HandleAsync(HttpContext context, string upstream, string? path) =>
        EndpointGuard.RunAsync(context, _logger, (Handler: this, Context: context, Upstream: upstream, Path: path),
            static call => call.Handler.CallAsync(call.Context, call.Upstream, call.Path));

    private async Task<EnvelopeResult> CallAsync(HttpContext context, string upstream, string? path)
    {
        var intake = await _intake.FromHttpAsync(context, upstream, path, context.Request.Method);
        var envelope = intake.Request is { } request
            ? (await _client.SendAsync(request, budget: null, context.RequestAborted)).Envelope
            : intake.Rejection!;
        return new EnvelopeResult(envelope);
    }
}
