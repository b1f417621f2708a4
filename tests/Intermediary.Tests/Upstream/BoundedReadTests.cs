using Intermediary.Upstream;

namespace Intermediary.Tests.Upstream;

/// <summary>Bodies are read whole but never past the limit, into one right-sized array or pooled buffers.</summary>
public sealed class BoundedReadTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1024)]
    [InlineData(16 * 1024)]
    [InlineData((16 * 1024) + 1)]
    [InlineData(100_000)]
    public async Task A_body_of_unknown_length_is_read_whole_in_small_pieces(int size)
    {
        var body = Bytes(size);
        var grown = 0;

        var read = await BoundedRead.ReadAsync(new TrickleStream(body, 7), limit: 1_000_000, CancellationToken.None, grow: n => grown += n);

        Assert.Equal(body, read!.Value.ToArray());
        Assert.Equal(size, grown);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1024)]
    [InlineData(100_000)]
    public async Task A_body_of_announced_length_is_one_array_of_that_size(int size)
    {
        var body = Bytes(size);
        var told = new List<int>();

        var read = await BoundedRead.ReadAsync(new TrickleStream(body, 5000), limit: 1_000_000, CancellationToken.None, grow: told.Add, length: size);

        Assert.Equal(body, read!.Value.ToArray());
        // Accounted once, up front, for the whole body.
        Assert.Equal(size == 0 ? [] : [size], told);
        if (size > 0)
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(read.Value, out var segment));
            Assert.Equal(size, segment.Array!.Length);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData(20_001L)]
    public async Task One_byte_over_the_limit_is_refused_and_the_limit_itself_is_not(long? announced)
    {
        var atLimit = await BoundedRead.ReadAsync(new TrickleStream(Bytes(20_000), 3000), limit: 20_000, CancellationToken.None, length: announced is null ? null : 20_000);
        var over = await BoundedRead.ReadAsync(new TrickleStream(Bytes(20_001), 3000), limit: 20_000, CancellationToken.None, length: announced);

        Assert.Equal(20_000, atLimit!.Value.Length);
        Assert.Null(over);
    }

    [Fact]
    public async Task Reading_stops_when_the_memory_cannot_be_accounted_for()
    {
        var stream = new TrickleStream(Bytes(50_000), 1000);
        var allowed = 0;

        await Assert.ThrowsAsync<ResponseBuffersExhaustedException>(() => BoundedRead.ReadAsync(stream, 1_000_000, CancellationToken.None, grow: n =>
        {
            allowed += n;
            if (allowed > 10_000)
            {
                throw new ResponseBuffersExhaustedException();
            }
        }));

        Assert.True(stream.Position < 50_000, "the rest of the body was never read");
    }

    [Fact]
    public async Task A_stream_that_fills_each_buffer_exactly_is_read_to_its_end()
    {
        // A plain MemoryStream fills every buffer it is given, so the first 16 KiB read leaves the buffer exactly full.
        var body = Bytes(40_000);

        var read = await BoundedRead.ReadAsync(new MemoryStream(body), limit: 1_000_000, CancellationToken.None);

        Assert.Equal(body, read!.Value.ToArray());
    }

    [Theory]
    [InlineData(8 * 1024)]
    [InlineData(32 * 1024)]
    public async Task A_body_over_a_power_of_two_limit_is_refused_not_cut_at_the_limit(int limit)
    {
        var read = await BoundedRead.ReadAsync(new MemoryStream(Bytes(limit + 5_000)), limit, CancellationToken.None);

        Assert.Null(read);
    }

    [Fact]
    public async Task A_limit_beyond_two_gigabytes_still_starts_with_a_small_buffer()
    {
        var body = Bytes(20_000);

        var read = await BoundedRead.ReadAsync(new TrickleStream(body, 4096), limit: 3L * 1024 * 1024 * 1024, CancellationToken.None);

        Assert.Equal(body, read!.Value.ToArray());
    }

    [Fact]
    public async Task A_body_announced_at_exactly_the_limit_is_accounted_for_in_one_piece()
    {
        var told = new List<int>();

        var read = await BoundedRead.ReadAsync(new TrickleStream(Bytes(20_000), 3000), limit: 20_000, CancellationToken.None, grow: told.Add, length: 20_000);

        Assert.Equal(20_000, read!.Value.Length);
        Assert.Equal([20_000], told);
    }

    private static byte[] Bytes(int size) => Enumerable.Range(0, size).Select(i => (byte)(i * 31)).ToArray();

    /// <summary>A stream that hands out at most <paramref name="piece"/> bytes per read, as a network stream may.</summary>
    private sealed class TrickleStream(byte[] content, int piece) : MemoryStream(content)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);
    }
}
