namespace Intermediary.Tests.Infrastructure;

/// <summary>Waits (in real time, bounded) for something another thread or process makes true, e.g. a request arriving.</summary>
public static class Eventually
{
    public static async Task True(Func<bool> condition, string what)
    {
        for (var i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), $"still not true after 30 s: {what}");
    }
}
