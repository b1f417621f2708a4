using System.Text.Json;
using System.Text.RegularExpressions;
using Intermediary.Envelopes;

namespace Intermediary.Tests.Infra;

/// <summary>The maker samples only use fields the envelope really has.</summary>
public sealed partial class SamplesTests
{
    private static readonly HashSet<string> s_fields = Fields();

    [Fact]
    public void The_power_fx_sample_uses_only_envelope_fields()
    {
        var text = InfraFiles.ReadText("samples", "canvas-app.fx");
        var code = string.Join('\n', text.Split('\n').Select(line => line.Split("//")[0]));

        // Power Fx record fields are camelCase here; controls, functions and operations are PascalCase.
        var used = FieldAccess().Matches(code).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.NotEmpty(used);
        Assert.True(used.IsSubsetOf(s_fields), "Not envelope fields: " + string.Join(", ", used.Except(s_fields)));
        Assert.Contains("retryAfterSeconds", used);
        Assert.Contains("job", used);
        Assert.Contains("stale", used);
        Assert.Contains("ageSeconds", used);
    }

    [Fact]
    public void The_flow_definition_parses_and_reads_only_envelope_fields()
    {
        var text = InfraFiles.ReadText("samples", "flow.definition.json");
        using var flow = JsonDocument.Parse(text);

        var used = BodyAccess().Matches(text).SelectMany(m => Accessor().Matches(m.Groups[1].Value).Select(a => a.Groups[1].Value)).ToHashSet();

        Assert.True(flow.RootElement.GetProperty("definition").TryGetProperty("actions", out _));
        Assert.NotEmpty(used);
        Assert.True(used.IsSubsetOf(s_fields), "Not envelope fields: " + string.Join(", ", used.Except(s_fields)));
        Assert.Contains("StartJob", text, StringComparison.Ordinal);
    }

    /// <summary>Envelope, upstream and job field names, plus the demo API's item fields that samples read from data.</summary>
    private static HashSet<string> Fields()
    {
        var envelope = JsonSerializer.SerializeToElement(
            Envelope.Failure(EnvelopeCode.Ok, "m") with
            {
                Upstream = new UpstreamDetails(1, "", "", "", ""),
                Job = new JobDetails("", "", "", null, null, null, null),
                Cache = new CacheDetails(false, false, false, 0),
            },
            EnvelopeJsonContext.Default.Envelope);
        var names = envelope.EnumerateObject().Select(p => p.Name)
            .Concat(envelope.GetProperty("upstream").EnumerateObject().Select(p => p.Name))
            .Concat(envelope.GetProperty("job").EnumerateObject().Select(p => p.Name))
            .Concat(envelope.GetProperty("cache").EnumerateObject().Select(p => p.Name));
        return [.. names, "id", "name", "price"];
    }

    [GeneratedRegex(@"(?<=[A-Za-z_)\]])\.([a-z][A-Za-z0-9]*)\b")]
    private static partial Regex FieldAccess();

    [GeneratedRegex(@"body\('[^']+'\)((?:\?\['[A-Za-z0-9_]+'\])+)")]
    private static partial Regex BodyAccess();

    [GeneratedRegex(@"\['([A-Za-z0-9_]+)'\]")]
    private static partial Regex Accessor();
}
