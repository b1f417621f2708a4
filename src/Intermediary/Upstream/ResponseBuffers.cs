using Intermediary.Configuration;
using Microsoft.Extensions.Options;

namespace Intermediary.Upstream;

/// <summary>
/// One process-wide allowance for upstream response bodies held in memory at once. Each body is read whole (it
/// may be retried, classified and parsed), and each may be up to <c>MaxResponseBodyBytes</c>: without a shared
/// limit, many concurrent large answers could exhaust the process. A call whose body does not fit is answered
/// ServiceUnavailable at once (not retried, not counted by the circuit breaker).
/// </summary>
internal sealed class ResponseBuffers(IOptions<IntermediaryOptions> options)
{
    private long _inUse;

    /// <summary>Bytes reserved now.</summary>
    public long InUse => Interlocked.Read(ref _inUse);

    /// <summary>Reserves <paramref name="bytes"/> more; false (and nothing reserved) when that would pass the limit.</summary>
    public bool TryReserve(long bytes)
    {
        var limit = options.Value.MaxBufferedResponseBytes;
        while (true)
        {
            var current = Interlocked.Read(ref _inUse);
            if (current + bytes > limit)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _inUse, current + bytes, current) == current)
            {
                return true;
            }
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _inUse, -bytes);
}

/// <summary>Thrown while reading a response body that would not fit in <see cref="ResponseBuffers"/>.</summary>
internal sealed class ResponseBuffersExhaustedException : Exception
{
    public ResponseBuffersExhaustedException()
        : base("Too many large upstream responses are held in memory at once.")
    {
    }

    public ResponseBuffersExhaustedException(string message)
        : base(message)
    {
    }

    public ResponseBuffersExhaustedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
