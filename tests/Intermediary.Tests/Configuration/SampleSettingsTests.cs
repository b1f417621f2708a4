using System.Collections;
using System.Reflection;
using System.Text.Json;
using Intermediary.Configuration;

namespace Intermediary.Tests.Configuration;

/// <summary>local.settings.sample.json must list every key the core reads, so a new option cannot go undocumented.</summary>
public sealed class SampleSettingsTests
{
    [Fact]
    public void Sample_settings_list_every_option_key()
    {
        var values = SampleValues();
        var missing = OptionKeys(typeof(IntermediaryOptions), "Intermediary")
            .Where(key => !values.Keys.Any(k => k == key || k.StartsWith(key + "__", StringComparison.Ordinal)))
            .ToList();

        Assert.True(missing.Count == 0, "local.settings.sample.json lacks: " + string.Join(", ", missing));
    }

    [Fact]
    public void Sample_settings_are_for_the_isolated_worker_and_hold_only_placeholders()
    {
        var values = SampleValues();

        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
        foreach (var key in values.Keys.Where(k => k.EndsWith("Secret", StringComparison.Ordinal) || k.EndsWith("Key", StringComparison.Ordinal) || k.Contains("FunctionKeys", StringComparison.Ordinal)))
        {
            Assert.Matches("^<.+>$", values[key]);
        }
    }

    private static Dictionary<string, string> SampleValues()
    {
        var path = Path.Combine(RepositoryRoot(), "local.settings.sample.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("Values").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }

    /// <summary>Leaf keys in environment-variable form; dictionaries use the sample's names ("default", "orders").</summary>
    private static IEnumerable<string> OptionKeys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{prefix}__{property.Name}";
            var propertyType = property.PropertyType;
            if (propertyType == typeof(Dictionary<string, UpstreamOptions>))
            {
                foreach (var inner in OptionKeys(typeof(UpstreamOptions), key + "__orders"))
                {
                    yield return inner;
                }
            }
            else if (propertyType == typeof(Dictionary<string, string>))
            {
                yield return key + "__default";
            }
            else if (propertyType.IsClass && propertyType != typeof(string) && propertyType != typeof(Uri) && !typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                foreach (var inner in OptionKeys(propertyType, key))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return key;
            }
        }
    }

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Intermediary.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Intermediary.sln not found above the test output folder.");
    }
}
