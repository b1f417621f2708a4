using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Intermediary.Connectors;

/// <summary>
/// Turns OpenAPI 2.0/3.x schemas into what Swagger 2.0 and Power Platform accept. Simplifications (each recorded as a
/// note for the user): <c>oneOf</c>/<c>anyOf</c> become their first alternative that is not <c>null</c>; a type list
/// or <c>nullable</c> keeps its one non-null type and says <c>x-nullable</c>; several non-null types become an
/// untyped value; <c>const</c> becomes a one-value <c>enum</c>; <c>discriminator</c>, <c>not</c>, <c>writeOnly</c>
/// and <c>examples</c> beyond the first are dropped. Component schemas become <c>definitions</c>.
/// </summary>
internal sealed class SchemaConverter(Action<string> note)
{
    private const int MaxDepth = 32;
    private readonly Dictionary<string, JsonObject?> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _definitionNames = new(StringComparer.Ordinal);

    /// <summary>The definitions converted so far (every component schema reached from a converted schema).</summary>
    public IEnumerable<KeyValuePair<string, JsonObject>> Definitions =>
        _definitions.Where(d => d.Value is not null).Select(d => KeyValuePair.Create(d.Key, d.Value!));

    /// <summary>Names already taken in the connector's definitions (the envelope's own), so an upstream schema gets another.</summary>
    public void Reserve(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            _definitions.TryAdd(name, null);
        }
    }

    public JsonObject Convert(IOpenApiSchema schema, string where) => Convert(schema, where, 0);

    private JsonObject Convert(IOpenApiSchema schema, string where, int depth)
    {
        if (depth > MaxDepth)
        {
            note($"{where}: nested deeper than {MaxDepth} levels; the rest is left untyped.");
            return new JsonObject();
        }

        if (schema is OpenApiSchemaReference reference && reference.Reference.Id is { } id)
        {
            return new JsonObject { ["$ref"] = "#/definitions/" + Definition(id, reference, depth) };
        }

        var alternatives = (schema.OneOf ?? []).Concat(schema.AnyOf ?? []).ToList();
        if (alternatives.Count > 0)
        {
            var nonNull = alternatives.Where(a => !IsNullOnly(a)).ToList();
            if (nonNull.Count > 1)
            {
                note($"{where}: oneOf/anyOf with {nonNull.Count} alternatives became its first alternative.");
            }

            var chosen = nonNull.Count > 0 ? Convert(nonNull[0], where, depth + 1) : new JsonObject();
            if (nonNull.Count < alternatives.Count)
            {
                chosen = WithNullable(chosen);
            }

            CopyDocs(schema, chosen);
            return chosen;
        }

        var result = new JsonObject();
        WriteType(schema, result, where);
        CopyDocs(schema, result);
        if (schema.Format is { Length: > 0 } format)
        {
            result["format"] = format;
        }

        if (schema.AllOf is { Count: > 0 } allOf)
        {
            result["allOf"] = new JsonArray(allOf.Select(part => (JsonNode)Convert(part, where, depth + 1)).ToArray());
        }

        if (schema.Properties is { Count: > 0 } properties)
        {
            var converted = new JsonObject();
            foreach (var (name, property) in properties)
            {
                if (property.WriteOnly)
                {
                    continue;
                }

                var value = Convert(property, $"{where}.{name}", depth + 1);
                if (!value.ContainsKey("$ref"))
                {
                    value["x-ms-summary"] ??= Naming.TitleCase(property.Title is { Length: > 0 } title ? title : name);
                }

                converted[name] = value;
            }

            result["properties"] = converted;
            var required = (schema.Required ?? new HashSet<string>()).Where(properties.ContainsKey).ToList();
            if (required.Count > 0)
            {
                result["required"] = new JsonArray(required.Select(r => (JsonNode)r).ToArray());
            }
        }

        if (schema.Items is { } items)
        {
            result["items"] = Convert(items, where + "[]", depth + 1);
        }
        else if (result["type"]?.GetValue<string>() == "array")
        {
            result["items"] = new JsonObject();
        }

        if (schema.AdditionalProperties is { } additional)
        {
            result["additionalProperties"] = Convert(additional, where + ".*", depth + 1);
        }

        CopyConstraints(schema, result, where);
        return result;
    }

    private string Definition(string id, OpenApiSchemaReference reference, int depth)
    {
        if (_definitionNames.TryGetValue(id, out var known))
        {
            return known;
        }

        var name = Naming.PascalCase(id);
        if (name.Length == 0)
        {
            name = "Schema";
        }

        var unique = name;
        for (var i = 2; _definitions.ContainsKey(unique); i++)
        {
            unique = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        _definitionNames[id] = unique;
        _definitions[unique] = null;
        if (reference.Target is not { } target)
        {
            note($"{id}: the reference does not resolve; left untyped.");
            _definitions[unique] = new JsonObject();
            return unique;
        }

        // Registered before converting, so a schema that refers to itself ends in a $ref instead of a loop.
        _definitions[unique] = Convert(target, unique, depth + 1);
        return unique;
    }

    private void WriteType(IOpenApiSchema schema, JsonObject result, string where)
    {
        if (schema.Type is not { } type)
        {
            return;
        }

        var nullable = type.HasFlag(JsonSchemaType.Null);
        var names = Enum.GetValues<JsonSchemaType>()
            .Where(t => t != JsonSchemaType.Null && type.HasFlag(t))
            .Select(TypeName)
            .ToList();
        if (names.Count == 1)
        {
            result["type"] = names[0];
        }
        else if (names.Count > 1)
        {
            note($"{where}: a value of several types ({string.Join(", ", names)}) is left untyped.");
        }

        if (nullable)
        {
            result["x-nullable"] = true;
        }
    }

    private static string TypeName(JsonSchemaType type) => type switch
    {
        JsonSchemaType.Boolean => "boolean",
        JsonSchemaType.Integer => "integer",
        JsonSchemaType.Number => "number",
        JsonSchemaType.String => "string",
        JsonSchemaType.Array => "array",
        _ => "object",
    };

    private static bool IsNullOnly(IOpenApiSchema schema) => schema.Type == JsonSchemaType.Null;

    private static JsonObject WithNullable(JsonObject schema)
    {
        if (schema.ContainsKey("$ref"))
        {
            // A $ref may have no siblings in Swagger 2.0: wrap it.
            return new JsonObject { ["allOf"] = new JsonArray(schema), ["x-nullable"] = true };
        }

        schema["x-nullable"] = true;
        return schema;
    }

    private static void CopyDocs(IOpenApiSchema schema, JsonObject result)
    {
        if (result.ContainsKey("$ref"))
        {
            return;
        }

        if (schema.Description is { Length: > 0 } description)
        {
            result["description"] = Naming.Sentence(description);
        }

        if (schema.Title is { Length: > 0 } title)
        {
            result["x-ms-summary"] = Naming.TitleCase(title);
        }
    }

    private void CopyConstraints(IOpenApiSchema schema, JsonObject result, string where)
    {
        if (schema.Enum is { Count: > 0 } values)
        {
            result["enum"] = new JsonArray(values.Where(v => v is not null).Select(v => v!.DeepClone()).ToArray());
        }
        else if (schema.Const is { } constant)
        {
            result["enum"] = new JsonArray(JsonValue.Create(constant));
        }

        if (schema.Default is { } defaultValue)
        {
            result["default"] = defaultValue.DeepClone();
        }

#pragma warning disable CS0618 // 3.0's single `example` is still read into Example.
        var example = schema.Examples?.FirstOrDefault() ?? schema.Example;
#pragma warning restore CS0618
        if (example is not null)
        {
            result["example"] = example.DeepClone();
        }

        if (schema.Pattern is { Length: > 0 } pattern)
        {
            result["pattern"] = pattern;
        }

        SetNumber(result, "minLength", schema.MinLength);
        SetNumber(result, "maxLength", schema.MaxLength);
        SetNumber(result, "minItems", schema.MinItems);
        SetNumber(result, "maxItems", schema.MaxItems);
        SetDecimal(result, "minimum", schema.Minimum);
        SetDecimal(result, "maximum", schema.Maximum);
        if (schema.ReadOnly)
        {
            result["readOnly"] = true;
        }

        if (schema.Discriminator is not null || schema.Not is not null)
        {
            note($"{where}: discriminator/not is not carried into the connector.");
        }
    }

    private static void SetNumber(JsonObject result, string name, int? value)
    {
        if (value is { } number)
        {
            result[name] = number;
        }
    }

    private static void SetDecimal(JsonObject result, string name, string? value)
    {
        if (decimal.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            result[name] = number;
        }
    }
}
