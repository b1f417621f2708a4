namespace Intermediary.Upstream;

/// <summary>Reads a stream into memory, giving up as soon as it exceeds a limit (bodies are never read unbounded).</summary>
internal static class BoundedRead
{
    /// <summary>The bytes read, or null when the stream held more than <paramref name="limit"/> bytes.</summary>
    /// <param name="grow">Told of each chunk before it is kept (to account for the memory); may throw to stop reading.</param>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(Stream stream, long limit, CancellationToken cancellationToken, Action<int>? grow = null)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            grow?.Invoke(read);
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
