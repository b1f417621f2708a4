using System.Threading.Channels;

namespace Intermediary.Jobs;

/// <summary>The embedded default queue: a channel in this process; delayed redelivery on the injected clock.</summary>
internal sealed class InMemoryJobQueue(TimeProvider time) : IJobQueue
{
    private readonly Channel<JobMessage> _channel = Channel.CreateUnbounded<JobMessage>();

    public Task EnqueueAsync(string jobId, CancellationToken cancellationToken) =>
        _channel.Writer.WriteAsync(new JobMessage(jobId, 1, null), cancellationToken).AsTask();

    public async Task<JobMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _channel.Reader.ReadAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public Task CompleteAsync(JobMessage message, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ReleaseAsync(JobMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var again = message with { DeliveryCount = message.DeliveryCount + 1 };
        if (delay <= TimeSpan.Zero)
        {
            return _channel.Writer.WriteAsync(again, cancellationToken).AsTask();
        }

        ITimer? timer = null;
        timer = time.CreateTimer(_ =>
        {
            _channel.Writer.TryWrite(again);
            timer?.Dispose();
        }, null, delay, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public Task<JobMessage> RenewAsync(JobMessage message, CancellationToken cancellationToken) => Task.FromResult(message);

    /// <summary>Messages waiting (for tests and health).</summary>
    public int Count => _channel.Reader.Count;
}
