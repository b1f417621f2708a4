namespace Intermediary.Tests.Configuration;

/// <summary>Runs one area's validator on its options with one change made, as start-up validation would.</summary>
internal static class AreaValidation
{
    public static List<string> Errors<TOptions>(string prefix, Action<string, TOptions, ICollection<string>> validate, Action<TOptions> change)
        where TOptions : new()
    {
        var options = new TOptions();
        change(options);
        var errors = new List<string>();
        validate(prefix, options, errors);
        return errors;
    }

    /// <summary>Refused with exactly <paramref name="message"/> (one rule, one error), or not refused at all.</summary>
    public static void AssertRule(List<string> errors, string message, bool refused)
    {
        if (refused)
        {
            Assert.Equal([message], errors);
        }
        else
        {
            Assert.Empty(errors);
        }
    }
}
