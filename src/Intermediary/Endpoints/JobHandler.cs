using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Intermediary.Configuration;
using Intermediary.Envelopes;
using Intermediary.Jobs;
using Intermediary.Security;
using Intermediary.Tokens;
using Intermediary.Upstream;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Endpoints;

/// <summary>
/// <c>POST /api/jobs/{upstream}[/{**path}]</c>, <c>GET /api/jobs/{id}</c>, <c>DELETE /api/jobs/{id}</c>: start a
/// job (202 + Location + Retry-After), poll it (202 until it ends, then 200 with its result envelope — the
/// asynchronous pattern Power Automate and Logic Apps follow), cancel it.
/// </summary>
public sealed partial class JobHandler
{
    /// <summary>For the request-as-is form: the method to run later (the start itself is always a POST).</summary>
    public const string JobMethodHeader = "X-Job-Method";

    private readonly RequestIntake _intake;
    private readonly UserIdentity _identity;
    private readonly ITokenProvider _tokens;
    private readonly IJobStore _store;
    private readonly IJobQueue _queue;
    private readonly RunningJobs _running;
    private readonly IOptions<IntermediaryOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<JobHandler> _logger;

    internal JobHandler(RequestIntake intake, UserIdentity identity, ITokenProvider tokens, IJobStore store, IJobQueue queue, RunningJobs running,
        IOptions<IntermediaryOptions> options, TimeProvider time, ILogger<JobHandler> logger)
    {
        _intake = intake;
        _identity = identity;
        _tokens = tokens;
        _store = store;
        _queue = queue;
        _running = running;
        _options = options;
        _time = time;
        _logger = logger;
    }

    private JobOptions Jobs => _options.Value.Jobs;

    /// <summary>Starts a job. <paramref name="path"/> null means the body describes the request as JSON.</summary>
    public Task<EnvelopeResult> StartAsync(HttpContext context, string upstream, string? path) =>
        EndpointGuard.RunAsync(context, _logger, async () =>
        {
            var intake = path is null && IsJson(context.Request)
                ? await _intake.FromDescriptionAsync(context, upstream)
                : await _intake.FromHttpAsync(context, upstream, path, JobMethod(context.Request));
            if (intake.Request is not { } request)
            {
                return new EnvelopeResult(intake.Rejection!);
            }

            ValidatedUser? user = null;
            if (_options.Value.Upstreams[request.Upstream].Credential == CredentialType.OnBehalfOf)
            {
                // The job acts for the caller's user, checked now: it runs later, when the caller has gone.
                var (identified, unauthenticated) = await _identity.IdentifyAsync(context.Request);
                if (identified is null)
                {
                    return new EnvelopeResult(unauthenticated! with { CorrelationId = request.CorrelationId });
                }

                user = identified;
            }

            var now = _time.GetUtcNow();
            var idempotencyHash = IdempotencyHash(context.Request, request.Upstream, user);
            var job = new JobRecord
            {
                Id = idempotencyHash is null ? JobRecord.NewId() : JobRecord.IdFor(idempotencyHash),
                Upstream = request.Upstream,
                Request = new JobRequest(request.Method.Method, request.Path, request.Query, request.Headers, request.Body?.ToArray()),
                CorrelationId = request.CorrelationId,
                IdempotencyHash = idempotencyHash,
                Owner = user is null ? null : OwnerOf(user),
                CreatedAt = now,
                UpdatedAt = now,
                ExpiresAt = now + Jobs.TimeToLive,
            };

            if (user is not null)
            {
                // Exchanged now, while the user's token is valid: consent or sign-in problems are answered to the
                // caller instead of failing the job later, and the session keeps the job acting for the user.
                var session = await _tokens.StartUserSessionAsync(request.Upstream, user, job.Id, context.RequestAborted);
                if (session.Failure is { } failure)
                {
                    return new EnvelopeResult(UpstreamClient.TokenFailureEnvelope(failure, request.CorrelationId));
                }
            }

            var (stored, created) = await CreateAsync(job, context.RequestAborted);
            if (created)
            {
                await _queue.EnqueueAsync(stored.Id, context.RequestAborted);
                LogStarted(_logger, stored.Id, stored.Upstream);
            }
            else if (user is not null && stored.Status.IsTerminal())
            {
                // The same start again for a job that has ended: nothing is to act for the user any more.
                await _tokens.EndUserSessionAsync(stored.Upstream, stored.Id);
            }

            return Pending(context, stored, created ? "The job is queued." : "A job with this Idempotency-Key already exists; this is it.", 202);
        });

    private async Task<(JobRecord Stored, bool Created)> CreateAsync(JobRecord job, CancellationToken cancellationToken)
    {
        try
        {
            var now = job.CreatedAt;
            var (stored, created) = await _store.CreateAsync(job, cancellationToken);
            if (!created && stored.ExpiresAt <= now)
            {
                // The key's earlier job has expired but is not purged yet: this start is a new job under the same id.
                var renewed = await _store.TryReplaceAsync(job with { ETag = stored.ETag }, cancellationToken);
                (stored, created) = renewed is null ? (await _store.GetAsync(job.Id, cancellationToken) ?? stored, false) : (renewed, true);
            }

            return (stored, created);
        }
        catch when (job.Owner is not null)
        {
            // No job to act for: the session just started must not outlive this request.
            await _tokens.EndUserSessionAsync(job.Upstream, job.Id);
            throw;
        }
    }

    /// <summary>The job's state: 202 while queued or running, 200 with its result envelope once it has ended.</summary>
    public Task<EnvelopeResult> GetAsync(HttpContext context, string id) =>
        EndpointGuard.RunAsync(context, _logger, async () =>
        {
            var (job, refusal) = await FindForCallerAsync(context, id);
            if (job is null)
            {
                return refusal!;
            }

            return job.Status.IsTerminal()
                ? Finished(context, job)
                : Pending(context, job, job.Status == JobStatus.Queued ? "The job is queued." : "The job is running.", null);
        });

    /// <summary>Cancels a queued job at once, asks a running one to stop; a finished job is left as it is.</summary>
    public Task<EnvelopeResult> CancelAsync(HttpContext context, string id) =>
        EndpointGuard.RunAsync(context, _logger, async () =>
        {
            for (var conflict = 0; conflict < JobDefaults.ConflictRetries; conflict++)
            {
                var (job, refusal) = await FindForCallerAsync(context, id);
                if (job is null)
                {
                    return refusal!;
                }

                if (job.Status.IsTerminal())
                {
                    var envelope = Envelope.Failure(EnvelopeCode.Conflict, $"The job has already {Past(job.Status)}; there is nothing to cancel.") with { Job = Details(context, job) };
                    return new EnvelopeResult(envelope);
                }

                var now = _time.GetUtcNow();
                if (job.Status == JobStatus.Queued)
                {
                    var canceled = await _store.TryReplaceAsync(job with
                    {
                        Status = JobStatus.Canceled,
                        CancelRequested = true,
                        ResultJson = JsonSerializer.Serialize(JobRunner.Canceled(), EnvelopeJsonContext.Default.Envelope),
                        CompletedAt = now,
                        UpdatedAt = now,
                    }, context.RequestAborted);
                    if (canceled is not null)
                    {
                        if (canceled.Owner is not null)
                        {
                            await _tokens.EndUserSessionAsync(canceled.Upstream, canceled.Id);
                        }

                        return Finished(context, canceled);
                    }

                    continue;
                }

                var requested = await _store.TryReplaceAsync(job with { CancelRequested = true, UpdatedAt = now }, context.RequestAborted);
                if (requested is not null)
                {
                    _running.TryCancel(job.Id);
                    return Pending(context, requested, "Cancellation requested; the job stops shortly.", null);
                }
            }

            return new EnvelopeResult(Envelope.Failure(EnvelopeCode.Conflict, "The job kept changing while it was being canceled; try again."));
        });

    /// <summary>
    /// The job, if this caller may see it: a job acting for a user is shown to that user only (their token, as when it
    /// was started); to anyone else it does not exist.
    /// </summary>
    private async Task<(JobRecord? Job, EnvelopeResult? Refusal)> FindForCallerAsync(HttpContext context, string id)
    {
        var job = await FindAsync(id, context.RequestAborted);
        if (job?.Owner is null)
        {
            return (job, job is null ? NotFound() : null);
        }

        var (user, unauthenticated) = await _identity.IdentifyAsync(context.Request);
        if (user is null)
        {
            return (null, new EnvelopeResult(unauthenticated!));
        }

        return string.Equals(OwnerOf(user), job.Owner, StringComparison.Ordinal) ? (job, null) : (null, NotFound());
    }

    private static string OwnerOf(ValidatedUser user) => $"{user.TenantId}/{user.ObjectId}";

    private async Task<JobRecord?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (!JobRecord.IsWellFormedId(id))
        {
            return null;
        }

        var job = await _store.GetAsync(id, cancellationToken);
        return job is null || job.ExpiresAt <= _time.GetUtcNow() ? null : job;
    }

    private EnvelopeResult Pending(HttpContext context, JobRecord job, string message, int? statusOverride)
    {
        var details = Details(context, job);
        var envelope = new Envelope
        {
            Ok = true,
            Status = 202,
            Code = EnvelopeCode.Accepted,
            Message = message + " Poll job.statusUrl until job.status is succeeded, failed or canceled.",
            Source = EnvelopeSource.Intermediary,
            RetryAfterSeconds = (int)Math.Ceiling(Jobs.PollInterval.TotalSeconds),
            Job = details,
        };
        // Location asks for status mode, so Power Automate's poller sees 202 until the job ends whatever the
        // default error mode; canvas apps poll job.statusUrl and get HTTP 200 with job.status.
        var headers = new Dictionary<string, string> { ["Location"] = details.StatusUrl + $"?{ErrorModeSelector.QueryName}=status" };
        return new EnvelopeResult(envelope, headers, statusOverride);
    }

    private EnvelopeResult Finished(HttpContext context, JobRecord job)
    {
        var result = job.ResultJson is { } json
            ? JsonSerializer.Deserialize(json, EnvelopeJsonContext.Default.Envelope)!
            : Envelope.Failure(EnvelopeCode.JobFailed, "The job ended without a result.");
        // The poll itself succeeded: 200 in both modes; the job's own outcome is in code/ok/status.
        return new EnvelopeResult(result with { Job = Details(context, job) }, statusOverride: 200);
    }

    private static EnvelopeResult NotFound() =>
        new(Envelope.Failure(EnvelopeCode.JobNotFound, "No such job: the id is unknown, or the job has expired."));

    private JobDetails Details(HttpContext context, JobRecord job)
    {
        var request = context.Request;
        var baseUrl = _options.Value.PublicBaseUrl is { } configured
            ? configured.AbsoluteUri.TrimEnd('/')
            : $"{request.Scheme}://{request.Host}{request.PathBase}";
        var statusUrl = $"{baseUrl}/{IntermediaryRoutes.Prefix}/jobs/{job.Id}";
        return new JobDetails(job.Id, job.Status.ToWire(), statusUrl, job.CreatedAt, job.UpdatedAt, job.CompletedAt, job.ExpiresAt);
    }

    /// <summary>
    /// The same key from the same caller (and signed-in user, for a job acting for one) for the same upstream is the
    /// same job; other callers' and users' keys never collide.
    /// </summary>
    private static string? IdempotencyHash(HttpRequest request, string upstream, ValidatedUser? user)
    {
        string? key = request.Headers["Idempotency-Key"];
        if (string.IsNullOrWhiteSpace(key))
        {
            return null;
        }

        var material = $"{CallerKeys.Offered(request)}\n{upstream.ToUpperInvariant()}\n{key}" + (user is null ? "" : $"\n{OwnerOf(user)}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)));
    }

    private static string JobMethod(HttpRequest request)
    {
        string? method = request.Headers[JobMethodHeader];
        return string.IsNullOrWhiteSpace(method) ? "POST" : method.Trim().ToUpperInvariant();
    }

    private static bool IsJson(HttpRequest request) =>
        request.ContentType is { } type && type.Split(';')[0].Trim().EndsWith("json", StringComparison.OrdinalIgnoreCase);

    private static string Past(JobStatus status) => status switch
    {
        JobStatus.Succeeded => "succeeded",
        JobStatus.Failed => "failed",
        _ => "been canceled",
    };

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Job {JobId} started for upstream {Upstream}")]
    private static partial void LogStarted(ILogger logger, string jobId, string upstream);
}
