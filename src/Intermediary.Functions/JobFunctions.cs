using Azure.Storage.Queues.Models;
using Intermediary.Jobs;
using Microsoft.Azure.Functions.Worker;

namespace Intermediary.Functions;

/// <summary>
/// Runs jobs from the Azure Storage queue (Jobs:Store = AzureStorage), and the periodic recovery/purge sweep.
/// The queue name comes from the app setting Intermediary:Jobs:Storage:QueueName; the connection is the
/// Functions host's AzureWebJobsStorage, so Jobs:Storage must point at the same account.
/// </summary>
internal sealed class JobFunctions(JobRunner runner, JobMaintenance maintenance)
{
    [Function("RunJob")]
    public async Task RunJob(
        [QueueTrigger("%Intermediary:Jobs:Storage:QueueName%")] QueueMessage message,
        CancellationToken cancellationToken)
    {
        var result = await runner.RunAsync(message.MessageText, (int)message.DequeueCount, cancellationToken);
        // "Later" means another worker holds the job's lease (it finishes the job) or the host is stopping. Throwing
        // on shutdown lets the host deliver the message again; otherwise the message is done, and the maintenance
        // sweep re-dispatches the job should that other worker die.
        if (!result.Completed && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The host is stopping; the job will be delivered again.", cancellationToken);
        }
    }

    [Function("JobMaintenance")]
    public async Task Maintain([TimerTrigger("0 */1 * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        await maintenance.RecoverAsync(cancellationToken);
        await maintenance.PurgeExpiredAsync(cancellationToken);
    }
}
