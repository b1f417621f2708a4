using Intermediary.Endpoints;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Intermediary.Functions;

/// <summary>
/// One HTTP function per endpoint, with the Server host's route templates (shared constants) and methods. Each is
/// a single call into the core's handler; AuthorizationLevel.Function makes the Functions host check the caller's
/// x-functions-key / ?code= before anything runs. The anonymous functions are the liveness probe and the catch-all,
/// which only answer envelopes of their own and call nothing.
/// </summary>
internal sealed class HttpFunctions(CallHandler call, HealthHandler health, JobHandler jobs)
{
    [Function("Call")]
    public async Task<IActionResult> Call(
        [HttpTrigger(AuthorizationLevel.Function, "get", "head", "post", "put", "patch", "delete", "options", Route = IntermediaryRoutes.Call)] HttpRequest request,
        string upstream,
        string? path) =>
        await call.HandleAsync(request.HttpContext, upstream, path);

    [Function("CallRoot")]
    public async Task<IActionResult> CallRoot(
        [HttpTrigger(AuthorizationLevel.Function, "get", "head", "post", "put", "patch", "delete", "options", Route = IntermediaryRoutes.CallRoot)] HttpRequest request,
        string upstream) =>
        await call.HandleAsync(request.HttpContext, upstream, null);

    [Function("Health")]
    public async Task<IActionResult> Health(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = IntermediaryRoutes.Health)] HttpRequest request) =>
        await health.HandleAsync(request.HttpContext);

    /// <summary>Liveness for platform probes: anonymous, calls nothing (see HealthHandler.Live).</summary>
    [Function("Live")]
    public static IActionResult Live(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = IntermediaryRoutes.Live)] HttpRequest request) =>
        HealthHandler.Live();

    [Function("StartJob")]
    public async Task<IActionResult> StartJob(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = IntermediaryRoutes.JobStart)] HttpRequest request,
        string upstream) =>
        await jobs.StartAsync(request.HttpContext, upstream, null);

    [Function("StartJobWithPath")]
    public async Task<IActionResult> StartJobWithPath(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = IntermediaryRoutes.JobStartWithPath)] HttpRequest request,
        string upstream,
        string path) =>
        await jobs.StartAsync(request.HttpContext, upstream, path);

    [Function("GetJob")]
    public async Task<IActionResult> GetJob(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = IntermediaryRoutes.Job)] HttpRequest request,
        string id) =>
        await jobs.GetAsync(request.HttpContext, id);

    [Function("CancelJob")]
    public async Task<IActionResult> CancelJob(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = IntermediaryRoutes.Job)] HttpRequest request,
        string id) =>
        await jobs.CancelAsync(request.HttpContext, id);

    /// <summary>
    /// Every URL under /api that no other function takes (the host ranks a catch-all route last), and every wrong
    /// method on one of ours: the same envelope as the Server host's fallback instead of the host's empty 404.
    /// </summary>
    [Function("Unmatched")]
    public static IActionResult Unmatched(
        [HttpTrigger(AuthorizationLevel.Anonymous, Route = "{*rest}")] HttpRequest request) =>
        IntermediaryFallback.Answer(request.HttpContext);
}
