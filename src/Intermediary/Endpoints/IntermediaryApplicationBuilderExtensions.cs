using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Intermediary.Endpoints;

/// <summary>Maps the endpoints on a plain ASP.NET Core host (the Server host); Functions maps them as functions.</summary>
public static class IntermediaryApplicationBuilderExtensions
{
    /// <summary>
    /// Envelopes for everything the framework would otherwise answer itself: unhandled exceptions (InternalError),
    /// empty 404/405 responses from routing, and so on. Call first in the pipeline.
    /// </summary>
    public static IApplicationBuilder UseIntermediaryEnvelopes(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context =>
            {
                var envelope = Envelope.Failure(EnvelopeCode.InternalError, "An unexpected error occurred. Quote the correlation id when reporting it.");
                return new EnvelopeResult(envelope).ExecuteAsync(context);
            },
        });
        var options = app.ApplicationServices.GetRequiredService<IOptions<IntermediaryOptions>>();
        app.Use((context, next) => RefuseOversizedRequests(context, next, options.Value));
        app.UseStatusCodePages(context =>
        {
            var status = context.HttpContext.Response.StatusCode;
            var envelope = status switch
            {
                404 => Envelope.Failure(EnvelopeCode.NotFound, "No endpoint matches this URL."),
                405 => Envelope.Failure(EnvelopeCode.MethodNotAllowed, "This endpoint does not accept that method."),
                413 => Envelope.Failure(EnvelopeCode.PayloadTooLarge, "The request body is too large."),
                >= 500 => Envelope.Failure(EnvelopeCode.InternalError, "An unexpected error occurred."),
                _ => Envelope.Failure(EnvelopeCode.InvalidRequest, $"The request could not be processed (HTTP {status})."),
            };
            return new EnvelopeResult(envelope with { Status = status }).ExecuteAsync(context.HttpContext);
        });
        return app;
    }

    /// <summary>
    /// The service's own limits on the request target and headers, set below the server's so that what falls
    /// between gets an envelope; beyond the server's limits the server answers alone (see docs/operations.md, Reliability).
    /// </summary>
    private static Task RefuseOversizedRequests(HttpContext context, RequestDelegate next, IntermediaryOptions options)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (context.Request.Path + context.Request.QueryString).ToString();
        if (target.Length > options.MaxRequestTargetLength)
        {
            var envelope = Envelope.Failure(EnvelopeCode.InvalidRequest,
                $"The URL is longer than the {options.MaxRequestTargetLength} characters this service accepts.") with
            { Status = StatusCodes.Status414UriTooLong };
            return new EnvelopeResult(envelope).ExecuteAsync(context);
        }

        long headerBytes = 0;
        foreach (var (name, values) in context.Request.Headers)
        {
            headerBytes += name.Length + 4;
            foreach (var value in values)
            {
                headerBytes += value?.Length ?? 0;
            }
        }

        if (headerBytes > options.MaxRequestHeadersBytes)
        {
            var envelope = Envelope.Failure(EnvelopeCode.InvalidRequest,
                $"The request headers total more than the {options.MaxRequestHeadersBytes} bytes this service accepts.") with
            { Status = StatusCodes.Status431RequestHeaderFieldsTooLarge };
            return new EnvelopeResult(envelope).ExecuteAsync(context);
        }

        return next(context);
    }

    /// <summary>
    /// Maps <c>/api/call/...</c>, <c>/api/jobs/...</c> and <c>/api/health</c> behind the caller-key check (<c>x-functions-key</c> or
    /// <c>?code=</c>), plus an envelope for every other URL.
    /// </summary>
    /// <remarks>
    /// Each keyed endpoint is a plain <see cref="RequestDelegate"/> that checks the key itself: no parameter binding
    /// and no endpoint-filter pipeline per request (together about 3 % of the Server host's CPU per call), and no
    /// way to map a keyed route without its check.
    /// </remarks>
    public static IEndpointRouteBuilder MapIntermediary(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var api = endpoints.MapGroup("/" + IntermediaryRoutes.Prefix);

        api.MapMethods(IntermediaryRoutes.Call, IntermediaryRoutes.CallMethods, Keyed(static context =>
            Handler<CallHandler>(context).HandleAsync(context, Route(context, "upstream"), context.Request.RouteValues["path"] as string)));
        api.MapMethods(IntermediaryRoutes.CallRoot, IntermediaryRoutes.CallMethods, Keyed(static context =>
            Handler<CallHandler>(context).HandleAsync(context, Route(context, "upstream"), null)));
        api.MapGet(IntermediaryRoutes.Health, Keyed(static context => Handler<HealthHandler>(context).HandleAsync(context)));
        api.MapPost(IntermediaryRoutes.JobStart, Keyed(static context =>
            Handler<JobHandler>(context).StartAsync(context, Route(context, "upstream"), null)));
        api.MapPost(IntermediaryRoutes.JobStartWithPath, Keyed(static context =>
            Handler<JobHandler>(context).StartAsync(context, Route(context, "upstream"), Route(context, "path"))));
        api.MapGet(IntermediaryRoutes.Job, Keyed(static context => Handler<JobHandler>(context).GetAsync(context, Route(context, "id"))));
        api.MapDelete(IntermediaryRoutes.Job, Keyed(static context => Handler<JobHandler>(context).CancelAsync(context, Route(context, "id"))));

        // Outside the keyed group on purpose: a liveness probe carries no key, and the answer reveals nothing.
        endpoints.MapGet("/" + IntermediaryRoutes.Prefix + "/" + IntermediaryRoutes.Live, HealthHandler.Live);
        endpoints.MapFallback(IntermediaryFallback.Answer);
        return endpoints;
    }

    /// <summary>The endpoint behind the caller-key check: without a valid key the handler never runs.</summary>
    private static RequestDelegate Keyed(Func<HttpContext, Task<EnvelopeResult>> handle) => async context =>
    {
        var keys = context.RequestServices.GetRequiredService<IOptions<IntermediaryOptions>>().Value.FunctionKeys.Values;
        var result = CallerKeys.IsAuthorized(context.Request, keys)
            ? await handle(context)
            : new EnvelopeResult(
                Envelope.Failure(EnvelopeCode.Unauthenticated, "A valid function key is required (x-functions-key header or code query parameter)."),
                new Dictionary<string, string> { ["WWW-Authenticate"] = "FunctionKey" });
        await result.ExecuteAsync(context);
    };

    private static T Handler<T>(HttpContext context)
        where T : notnull => context.RequestServices.GetRequiredService<T>();

    /// <summary>A value the route template guarantees (the route would not have matched without it).</summary>
    private static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;
}
