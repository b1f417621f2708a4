using System.Text;
using System.Text.Json.Nodes;

namespace Intermediary.Connectors;

/// <summary>
/// operations.md: for each generated operation, the Power Fx call (checking <c>ok</c>, reading typed <c>data</c>,
/// handling <c>RateLimited</c> with <c>retryAfterSeconds</c>) and the flow expressions.
/// </summary>
internal static class Snippets
{
    public static string Write(JsonObject definition, IReadOnlyList<GeneratedOperation> operations)
    {
        var connector = Naming.PascalCase(definition["info"]?["title"]?.GetValue<string>() ?? "Intermediary");
        var text = new StringBuilder();
        text.Append("# Operations of the ").Append(definition["info"]?["title"]?.GetValue<string>()).Append(" connector\n\n")
            .Append("Generated with the connector; regenerate both together. In Power Fx the connector is called `")
            .Append(connector).Append("` (its name in your app may differ). Every operation answers with the envelope: check `ok`, ")
            .Append("show `message`, and wait `retryAfterSeconds` before trying again when `retryable` is true.\n");
        foreach (var operation in operations)
        {
            var parameters = Parameters(definition, operation);
            var arguments = string.Join(", ", parameters.Where(p => p.Required).Select(p => p.Example));
            var flowStep = operation.Summary.Replace(' ', '_');
            text.Append("\n## ").Append(operation.Summary).Append(" (`").Append(operation.OperationId).Append("`)\n\n")
                .Append('`').Append(operation.IsJobStart ? "POST" : operation.Method).Append(' ').Append(operation.Path)
                .Append("` → the backend's `").Append(operation.SourceMethod).Append(' ').Append(operation.SourcePath).Append("`.\n\n")
                .Append("Power Fx:\n\n```\n")
                .Append("Set(result, ").Append(connector).Append('.').Append(operation.OperationId).Append('(').Append(arguments).Append("));\n");
            if (operation.IsJobStart)
            {
                text.Append("If(result.ok, Set(jobId, result.job.id), Notify(result.message, NotificationType.Error));\n")
                    .Append("// Then poll from a timer: Set(job, ").Append(connector).Append(".GetJob(jobId)); stop when job.job.status is \"succeeded\", \"failed\" or \"canceled\".\n");
            }
            else
            {
                var isTable = operation.DataDefinition is { } envelope
                    && definition["definitions"]?[envelope]?["properties"]?["data"]?["type"]?.GetValue<string>() == "array";
                text.Append("If(\n    result.ok, ")
                    .Append(operation.DataDefinition is null ? "Notify(\"Done.\", NotificationType.Success)"
                        : isTable ? "ClearCollect(colRows, result.data)" : "Set(answer, result.data)")
                    .Append(",\n    result.code = \"RateLimited\", Notify(\"Busy: try again in \" & result.retryAfterSeconds & \" s.\", NotificationType.Warning),\n")
                    .Append("    Notify(result.message, NotificationType.Error)\n);\n");
            }

            text.Append("```\n\nPower Automate: after the step `").Append(flowStep).Append("`, branch on `body('").Append(flowStep)
                .Append("')?['ok']`; ")
                .Append(operation.IsJobStart
                    ? "the flow waits for the job by itself and then gives the job's envelope."
                    : $"read the data as `body('{flowStep}')?['data']`; on `RateLimited` add a Delay of `body('{flowStep}')?['retryAfterSeconds']` seconds before trying again.")
                .Append('\n');
        }

        return text.ToString();
    }

    private static IEnumerable<(bool Required, string Example)> Parameters(JsonObject definition, GeneratedOperation operation)
    {
        var generated = definition["paths"]![operation.Path]![operation.Method.ToLowerInvariant()]!["parameters"]!.AsArray();
        foreach (var parameter in generated)
        {
            if (parameter!["x-ms-visibility"]?.GetValue<string>() == "internal")
            {
                continue;
            }

            var required = parameter["required"]?.GetValue<bool>() == true;
            var name = parameter["name"]!.GetValue<string>();
            var example = parameter["in"]!.GetValue<string>() == "body"
                ? Record(parameter["schema"] as JsonObject, definition)
                : parameter["type"]?.GetValue<string>() is "integer" or "number" ? "1" : $"\"{name}-value\"";
            yield return (required, example);
        }
    }

    /// <summary>A Power Fx record for a body schema: its required fields with their examples (or a value of their type).</summary>
    private static string Record(JsonObject? schema, JsonObject definition)
    {
        if (schema?["$ref"]?.GetValue<string>() is { } reference)
        {
            schema = definition["definitions"]?[reference["#/definitions/".Length..]] as JsonObject;
        }

        var required = schema?["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [];
        var fields = (schema?["properties"]?.AsObject() ?? []).Where(p => required.Contains(p.Key)).Select(p =>
        {
            var property = p.Value!;
            var value = property["example"] is { } example
                ? example.GetValueKind() == System.Text.Json.JsonValueKind.String ? $"\"{example.GetValue<string>()}\"" : example.ToJsonString()
                : property["type"]?.GetValue<string>() switch
                {
                    "integer" or "number" => "1",
                    "boolean" => "false",
                    "array" => "[]",
                    "object" => "{}",
                    _ => "\"text\"",
                };
            return $"{p.Key}: {value}";
        });
        var record = string.Join(", ", fields);
        return record.Length == 0 ? "{}" : "{ " + record + " }";
    }
}
