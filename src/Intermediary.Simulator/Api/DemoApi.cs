using System.Text;
using System.Text.Json;
using Intermediary.Simulator.Entra;
using Intermediary.Simulator.Faults;
using Intermediary.Simulator.Gateway;
using Intermediary.Simulator.Jobs;
using Intermediary.Simulator.Lro;

namespace Intermediary.Simulator.Api;

/// <summary>The backend behind the gateway: items, echo, the scripted faults, long-running operations and jobs.</summary>
internal sealed class DemoApi(ItemStore items, BackendScript script, FaultEndpoints faults, LroEndpoints lro, JobEndpoints jobs)
{
    private const string ValidationProblemType = "https://tools.ietf.org/html/rfc9110#section-15.5.1";
    private const string ValidationProblemTitle = "One or more validation errors occurred.";

    /// <summary>The operation for a method and a path relative to /demo, or null when APIM would not find one.</summary>
    public RequestDelegate? Match(string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        return segments switch
        {
            ["items", ..] when HttpMethods.IsGet(method) && script.ItemsDown => ItemsDownAsync,
            ["items"] when HttpMethods.IsGet(method) => ListItemsAsync,
            ["items"] when HttpMethods.IsPost(method) => CreateItemAsync,
            ["items", var id] when HttpMethods.IsGet(method) => context => GetItemAsync(context, id),
            ["echo", ..] => EchoAsync,
            ["whoami"] when HttpMethods.IsGet(method) => WhoAmIAsync,
            ["faults", "outage"] when HttpMethods.IsGet(method) => StartOutageAsync,
            ["faults", .. var rest] => faults.Match(method, rest),
            ["lro", .. var rest] => lro.Match(method, rest),
            ["jobs", .. var rest] => jobs.Match(method, rest),
            _ => null,
        };
    }

    private static Task WhoAmIAsync(HttpContext context)
    {
        var identity = BearerToken.Read(context.Request) is { } jwt
            ? new WhoAmIResponse(
                CompactJwt.GetString(jwt.Payload, "scp") is null ? "app" : "user",
                CompactJwt.GetString(jwt.Payload, "oid"),
                CompactJwt.GetString(jwt.Payload, "name"),
                CompactJwt.GetString(jwt.Payload, "preferred_username"),
                CompactJwt.GetString(jwt.Payload, "azp") ?? CompactJwt.GetString(jwt.Payload, "appid"),
                CompactJwt.GetString(jwt.Payload, "scp"),
                CompactJwt.GetStrings(jwt.Payload, "roles") is { Count: > 0 } roles ? roles : null)
            : new WhoAmIResponse("anonymous", null, null, null, null, null, null);
        return ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, identity, GatewayJsonContext.Literal.WhoAmIResponse);
    }

    private static Task ItemsDownAsync(HttpContext context) =>
        ApiErrors.UnavailableAsync(context, "The item service is down for maintenance.");

    /// <summary>GET /faults/outage?seconds=N (default 60): the item reads answer 503 for that long.</summary>
    private Task StartOutageAsync(HttpContext context)
    {
        var text = context.Request.Query["seconds"].ToString();
        if (!int.TryParse(text is { Length: > 0 } ? text : "60", System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            || seconds is < 1 or > 3600)
        {
            return ApiErrors.InvalidParameterAsync(context, "seconds must be a whole number from 1 to 3600.");
        }

        var until = script.StartItemsOutage(TimeSpan.FromSeconds(seconds));
        return ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, new OutageResult(until), GatewayJsonContext.Literal.OutageResult);
    }

    private Task ListItemsAsync(HttpContext context) =>
        ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, items.List(), GatewayJsonContext.Literal.IReadOnlyListItem);

    private Task GetItemAsync(HttpContext context, string id)
    {
        if (items.Find(id) is { } item)
        {
            return ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, item, GatewayJsonContext.Literal.Item);
        }

        return ApiErrors.NotFoundAsync(context, "ItemNotFound", $"Item '{id}' was not found.");
    }

    private async Task CreateItemAsync(HttpContext context)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        string? name = null;
        decimal price = 0;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors["$"] = ["The request body must be a JSON object."];
            }
            else
            {
                name = ReadName(document.RootElement, errors);
                price = ReadPrice(document.RootElement, errors);
            }
        }
        catch (JsonException)
        {
            errors["$"] = ["The request body is not valid JSON."];
        }

        if (errors.Count > 0 || name is null)
        {
            var problem = new ValidationProblem(
                ValidationProblemType,
                ValidationProblemTitle,
                StatusCodes.Status400BadRequest,
                $"Invalid field(s): {string.Join(", ", errors.Keys)}.",
                errors);
            await ApimResponses.WriteJsonAsync(
                context,
                StatusCodes.Status400BadRequest,
                problem,
                GatewayJsonContext.Literal.ValidationProblem,
                "application/problem+json");
            return;
        }

        var item = items.Add(name, price);
        var request = context.Request;
        context.Response.Headers.Location = $"{request.Scheme}://{request.Host}{request.PathBase}/items/{item.Id}";
        await ApimResponses.WriteJsonAsync(context, StatusCodes.Status201Created, item, GatewayJsonContext.Literal.Item);
    }

    private static string? ReadName(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (TryGetProperty(body, "name", out var value) && value.ValueKind == JsonValueKind.String
            && value.GetString() is { } name && !string.IsNullOrWhiteSpace(name))
        {
            return name;
        }

        errors["name"] = ["The name field is required."];
        return null;
    }

    private static decimal ReadPrice(JsonElement body, Dictionary<string, string[]> errors)
    {
        if (!TryGetProperty(body, "price", out var value))
        {
            errors["price"] = ["The price field is required."];
            return 0;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var price))
        {
            errors["price"] = ["The price field must be a number."];
            return 0;
        }

        if (price < 0)
        {
            errors["price"] = ["The price field must not be negative."];
        }

        return price;
    }

    // ASP.NET Core binds JSON property names case-insensitively; so does the demo API.
    private static bool TryGetProperty(JsonElement body, string name, out JsonElement value)
    {
        foreach (var property in body.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static async Task EchoAsync(HttpContext context)
    {
        var request = context.Request;
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var echo = new EchoResponse(
            request.Method,
            $"{request.PathBase}{request.Path}",
            request.QueryString.Value ?? string.Empty,
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body);
        if (request.Query["cacheControl"].ToString() is { Length: > 0 } cacheControl)
        {
            // What the answer says about caching it, for tests of a cache in front of this API.
            context.Response.Headers.CacheControl = cacheControl;
        }

        await ApimResponses.WriteJsonAsync(context, StatusCodes.Status200OK, echo, GatewayJsonContext.Literal.EchoResponse);
    }
}
