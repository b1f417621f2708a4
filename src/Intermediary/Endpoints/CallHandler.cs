using Intermediary.Caching;
using Intermediary.Envelopes;
using Intermediary.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Intermediary.Endpoints;

/// <summary><c>ANY /api/call/{upstream}/{**path}</c>: validate, forward (through the response cache where configured), answer with an envelope.</summary>
public sealed class CallHandler
{
    private readonly RequestIntake _intake;
    private readonly UserIdentity _users;
    private readonly CallCache _calls;
    private readonly ILogger<CallHandler> _logger;

    internal CallHandler(RequestIntake intake, UserIdentity users, CallCache calls, ILogger<CallHandler> logger)
    {
        _intake = intake;
        _users = users;
        _calls = calls;
        _logger = logger;
    }

    /// <summary>Handles one call; never throws for bad input or upstream failures.</summary>
    public Task<EnvelopeResult> HandleAsync(HttpContext context, string upstream, string? path) =>
        EndpointGuard.RunAsync(context, _logger, (Handler: this, Context: context, Upstream: upstream, Path: path),
            static call => call.Handler.CallAsync(call.Context, call.Upstream, call.Path));

    private async Task<EnvelopeResult> CallAsync(HttpContext context, string upstream, string? path)
    {
        var intake = await _users.AttachAsync(await _intake.FromHttpAsync(context, upstream, path, context.Request.Method), context.Request);
        var envelope = intake.Request is { } request
            ? await _calls.SendAsync(request, CallerKeys.Offered(context.Request), context.RequestAborted)
            : intake.Rejection!;
        return new EnvelopeResult(envelope);
    }
}
