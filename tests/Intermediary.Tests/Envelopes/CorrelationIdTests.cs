using Intermediary.Envelopes;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Tests.Envelopes;

public sealed class CorrelationIdTests
{
    [Fact]
    public void A_well_formed_caller_id_is_kept()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[CorrelationId.HeaderName] = "order-42.retry:1";

        Assert.Equal("order-42.retry:1", CorrelationId.For(context));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("new\nline")]
    [InlineData("<script>")]
    [InlineData("")]
    public void A_malformed_caller_id_is_replaced_with_a_new_one(string offered)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[CorrelationId.HeaderName] = offered;

        var id = CorrelationId.For(context);

        Assert.NotEqual(offered, id);
        Assert.Matches("^[0-9a-f]{32}$", id);
    }

    [Fact]
    public void An_overlong_caller_id_is_replaced()
    {
        var context = new DefaultHttpContext();
        context.Request.Headers[CorrelationId.HeaderName] = new string('a', 129);

        Assert.Equal(32, CorrelationId.For(context).Length);
    }

    [Fact]
    public void A_caller_id_of_exactly_the_longest_length_is_kept()
    {
        var context = new DefaultHttpContext();
        var longest = new string('a', 128);
        context.Request.Headers[CorrelationId.HeaderName] = longest;

        Assert.Equal(longest, CorrelationId.For(context));
    }

    [Fact]
    public void No_context_is_a_programming_error_named_as_such() =>
        Assert.Equal("context", Assert.Throws<ArgumentNullException>(() => CorrelationId.For(null!)).ParamName);

    [Fact]
    public void The_same_request_always_gets_the_same_id()
    {
        var context = new DefaultHttpContext();

        Assert.Equal(CorrelationId.For(context), CorrelationId.For(context));
    }

    [Fact]
    public void New_ids_do_not_repeat_across_refills_and_threads()
    {
        // Several refills of the per-thread random block on each of four threads: a block used twice, or one block
        // shared by two threads, would repeat an id.
        var perThread = 1_000;
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            for (var i = 0; i < perThread; i++)
            {
                ids.Add(CorrelationId.NewId());
            }
        });

        Assert.Equal(4 * perThread, ids.Count);
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
    }
}
