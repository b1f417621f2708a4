using Intermediary.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Jobs;

/// <summary>
/// The Server host's job worker: takes messages off the queue (at most <c>MaxConcurrency</c> at a time), runs
/// each through <see cref="JobRunner"/>, keeps long runs' messages invisible, re-dispatches jobs whose worker died
/// (expired lease) or whose message was lost, and purges expired jobs.
/// </summary>
internal sealed partial class JobDispatcher(
    IJobQueue queue,
    JobMaintenance maintenance,
    JobRunner runner,
    IOptions<IntermediaryOptions> options,
    TimeProvider time,
    ILogger<JobDispatcher> logger) : BackgroundService
{
    private static readonly TimeSpan s_purgeInterval = TimeSpan.FromMinutes(10);

    private JobOptions Jobs => options.Value.Jobs;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var housekeeping = MaintainAsync(stoppingToken);
        using var slots = new SemaphoreSlim(Jobs.MaxConcurrency);
        var running = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await slots.WaitAsync(stoppingToken);
                var message = await queue.ReceiveAsync(stoppingToken);
                if (message is null)
                {
                    slots.Release();
                    break;
                }

                running.RemoveAll(t => t.IsCompleted);
                running.Add(ProcessAsync(message, slots, stoppingToken));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(running);
        await housekeeping;
    }

    private async Task ProcessAsync(JobMessage message, SemaphoreSlim slots, CancellationToken stoppingToken)
    {
        using var renewing = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var holder = new MessageHolder(message);
        var renewal = KeepInvisibleAsync(holder, renewing.Token);
        try
        {
            await Task.Yield();
            var result = await runner.RunAsync(message.JobId, message.DeliveryCount, stoppingToken);
            await renewing.CancelAsync();
            await renewal;
            if (result.Completed)
            {
                await queue.CompleteAsync(holder.Message, CancellationToken.None);
            }
            else if (!stoppingToken.IsCancellationRequested)
            {
                await queue.ReleaseAsync(holder.Message, result.RetryAfter, CancellationToken.None);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // The message is not completed, so it is delivered again (and counted towards poison).
            LogRunFailed(logger, ex, message.JobId);
            await renewing.CancelAsync();
            await renewal;
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task KeepInvisibleAsync(MessageHolder holder, CancellationToken cancellationToken)
    {
        var interval = Jobs.Storage.VisibilityTimeout / 2;
        try
        {
            while (true)
            {
                await Task.Delay(interval, time, cancellationToken);
                holder.Message = await queue.RenewAsync(holder.Message, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Renewal failed; the lease in the job record still protects the job from a second worker.
            LogRenewFailed(logger, ex, holder.Message.JobId);
        }
    }

    private async Task MaintainAsync(CancellationToken stoppingToken)
    {
        var lastPurge = time.GetUtcNow();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(Jobs.LeaseDuration, time, stoppingToken);
                await maintenance.RecoverAsync(stoppingToken);
                if (time.GetUtcNow() - lastPurge >= s_purgeInterval)
                {
                    lastPurge = time.GetUtcNow();
                    await maintenance.PurgeExpiredAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private sealed class MessageHolder(JobMessage message)
    {
        public JobMessage Message { get; set; } = message;
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "Running job {JobId} failed unexpectedly; its message will be delivered again")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, string jobId);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Could not keep the message of job {JobId} invisible")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string jobId);
}
