using System.Buffers;

namespace Intermediary.Upstream;

/// <summary>Reads a stream into memory, giving up as soon as it exceeds a limit (bodies are never read unbounded).</summary>
internal static class BoundedRead
{
    private const int FirstChunk = 16 * 1024;

    /// <summary>The bytes read, or null when the stream held more than <paramref name="limit"/> bytes.</summary>
    /// <param name="grow">Told of each chunk before it is kept (to account for the memory); may throw to stop reading.</param>
    /// <param name="length">The announced length (Content-Length), when known: read into one array of exactly that size.</param>
    public static Task<ReadOnlyMemory<byte>?> ReadAsync(Stream stream, long limit, CancellationToken cancellationToken, Action<int>? grow = null, long? length = null) =>
        length is { } known && known <= limit
            ? ReadKnownLengthAsync(stream, (int)known, grow, cancellationToken)
            : ReadPooledAsync(stream, limit, grow, cancellationToken);

    /// <summary>One right-sized array, no copy; a stream that ends early yields what it held (HTTP reports that itself).</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadKnownLengthAsync(Stream stream, int length, Action<int>? grow, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        grow?.Invoke(length);
        var body = new byte[length];
        var count = 0;
        int read;
        while (count < length && (read = await stream.ReadAsync(body.AsMemory(count), cancellationToken)) > 0)
        {
            count += read;
        }

        return body.AsMemory(0, count);
    }

    /// <summary>Unknown length: pooled buffers that double as needed (never past the limit), copied once at the end.</summary>
    private static async Task<ReadOnlyMemory<byte>?> ReadPooledAsync(Stream stream, long limit, Action<int>? grow, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(FirstChunk, limit + 1));
        var count = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(count), cancellationToken)) > 0)
            {
                if (count + read > limit)
                {
                    return null;
                }

                grow?.Invoke(read);
                count += read;
                if (count == buffer.Length)
                {
                    // Full: one more byte than the limit is enough to tell "too large".
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Min((long)buffer.Length * 2, limit + 1), Array.MaxLength));
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return buffer.AsSpan(0, count).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
