using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Intermediary.Configuration;

namespace Intermediary.Jobs;

/// <summary>The table, queue and blob container jobs use, created on first use.</summary>
internal sealed class AzureStorageClients
{
    private Task? _creating;

    public AzureStorageClients(JobStorageOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            Table = new TableClient(options.ConnectionString, options.TableName);
            Queue = new QueueClient(options.ConnectionString, options.QueueName, QueueOptions());
            Blobs = new BlobContainerClient(options.ConnectionString, options.ContainerName);
        }
        else
        {
            TokenCredential credential = Tokens.ManagedIdentities.For(options.ManagedIdentityClientId);
            Table = new TableServiceClient(options.TableServiceUri!, credential).GetTableClient(options.TableName);
            Queue = new QueueServiceClient(options.QueueServiceUri!, credential, QueueOptions()).GetQueueClient(options.QueueName);
            Blobs = new BlobServiceClient(options.BlobServiceUri!, credential).GetBlobContainerClient(options.ContainerName);
        }

    }

    public TableClient Table { get; }
    public QueueClient Queue { get; }
    public BlobContainerClient Blobs { get; }

    /// <summary>Creates the table, queue and container once per process; a failure is retried on the next call.</summary>
    public Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _creating);
        if (current is null || current.IsFaulted || current.IsCanceled)
        {
            // Not cached when it failed: the storage account may just not have been reachable yet.
            var fresh = CreateAsync();
            current = Interlocked.CompareExchange(ref _creating, fresh, current) == current ? fresh : Volatile.Read(ref _creating)!;
        }

        return current.WaitAsync(cancellationToken);
    }

    private async Task CreateAsync()
    {
        await Table.CreateIfNotExistsAsync();
        await Queue.CreateIfNotExistsAsync();
        await Blobs.CreateIfNotExistsAsync();
    }

    // Base64, as the Functions queue trigger expects by default (host.json extensions.queues.messageEncoding).
    private static QueueClientOptions QueueOptions() => new() { MessageEncoding = QueueMessageEncoding.Base64 };
}
