using System.Text.RegularExpressions;
using Intermediary.Tests.Configuration;

namespace Intermediary.Tests.Infra;

/// <summary>The documentation stands alone: no link leaves the repository, and every relative link resolves.</summary>
public sealed partial class DocsTests
{
    public static TheoryData<string> MarkdownFiles()
    {
        var root = SampleSettingsTests.RepositoryRoot();
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Where(f => !f.Contains("node_modules", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}artifacts{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}TestResults{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(MarkdownFiles))]
    public void No_document_points_outside_the_repository_and_relative_links_resolve(string file)
    {
        var root = SampleSettingsTests.RepositoryRoot();
        var path = Path.Combine(root, file);
        var text = File.ReadAllText(path);

        foreach (Match link in RelativeLink().Matches(text))
        {
            var target = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, link.Groups[1].Value.Split('#')[0]));
            Assert.True(target.StartsWith(root, StringComparison.Ordinal), $"{file} links outside the repository: {link.Value}");
            Assert.True(File.Exists(target) || Directory.Exists(target), $"{file} links to a missing {link.Value}");
        }

        Assert.DoesNotMatch(@"\.\./shared|shared/DESIGN", text);
    }

    [GeneratedRegex(@"\]\((?!https?:|mailto:|#)([^)\s]+)\)")]
    private static partial Regex RelativeLink();
}
