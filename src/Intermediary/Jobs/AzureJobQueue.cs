using Azure;
using Intermediary.Configuration;
using Microsoft.Extensions.Logging;

namespace Intermediary.Jobs;

/// <summary>
/// Dispatch through an Azure Storage queue: a received message is invisible for the visibility timeout (renewed
/// while its job runs), reappears if the worker dies, and carries its dequeue count for poison detection.
/// </summary>
internal sealed partial class AzureJobQueue(AzureStorageClients clients, JobStorageOptions options, TimeProvider time, ILogger<AzureJobQueue> logger) : IJobQueue
{
    private static readonly TimeSpan s_maxIdleWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan s_maxOutageWait = TimeSpan.FromSeconds(10);

    public async Task EnqueueAsync(string jobId, CancellationToken cancellationToken)
    {
        await clients.EnsureCreatedAsync(cancellationToken);
        await clients.Queue.SendMessageAsync(jobId, cancellationToken);
    }

    public async Task<JobMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var idle = TimeSpan.FromMilliseconds(100);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await clients.EnsureCreatedAsync(cancellationToken);
                var received = await clients.Queue.ReceiveMessagesAsync(1, options.VisibilityTimeout, cancellationToken);
                if (received.Value is [var message, ..])
                {
                    return new JobMessage(message.MessageText, (int)message.DequeueCount, new Receipt(message.MessageId, message.PopReceipt));
                }

                // Empty queue: back off up to 2 s between polls (storage transactions cost money).
                await Task.Delay(idle, time, cancellationToken);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, s_maxIdleWait.Ticks));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            catch (RequestFailedException ex)
            {
                // Storage unreachable or refusing (restart, network, throttling): the worker waits and polls again
                // rather than stopping the host; the log says why nothing is being dispatched.
                LogReceiveFailed(logger, ex.Status, ex.ErrorCode ?? ex.GetType().Name);
                await Task.Delay(idle, time, cancellationToken);
                idle = TimeSpan.FromTicks(Math.Min(Math.Max(idle.Ticks * 2, TimeSpan.FromSeconds(1).Ticks), s_maxOutageWait.Ticks));
            }
        }

        return null;
    }

    public async Task CompleteAsync(JobMessage message, CancellationToken cancellationToken)
    {
        var receipt = (Receipt)message.Receipt!;
        try
        {
            await clients.Queue.DeleteMessageAsync(receipt.MessageId, receipt.PopReceipt, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already deleted, or redelivered to another worker: the job's state machine makes that harmless.
        }
    }

    public async Task ReleaseAsync(JobMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var receipt = (Receipt)message.Receipt!;
        try
        {
            await clients.Queue.UpdateMessageAsync(receipt.MessageId, receipt.PopReceipt, visibilityTimeout: delay, cancellationToken: cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // The message is gone or owned by another worker now; nothing to release.
        }
    }

    public async Task<JobMessage> RenewAsync(JobMessage message, CancellationToken cancellationToken)
    {
        var receipt = (Receipt)message.Receipt!;
        var updated = await clients.Queue.UpdateMessageAsync(receipt.MessageId, receipt.PopReceipt, visibilityTimeout: options.VisibilityTimeout, cancellationToken: cancellationToken);
        return message with { Receipt = receipt with { PopReceipt = updated.Value.PopReceipt } };
    }

    private sealed record Receipt(string MessageId, string PopReceipt);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "Receiving job messages failed (HTTP {Status}, {ErrorCode}); polling again shortly")]
    private static partial void LogReceiveFailed(ILogger logger, int status, string errorCode);
}
