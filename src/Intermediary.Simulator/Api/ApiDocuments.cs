using System.Text.Json.Serialization;

namespace Intermediary.Simulator.Api;

internal sealed record Item(string Id, string Name, decimal Price);

/// <summary>The Azure REST error shape: <c>{"error":{"code":"...","message":"...","innererror":{...}}}</c>.</summary>
internal sealed record AzureErrorResponse(AzureError Error);

internal sealed record AzureError(
    string Code,
    string Message,
    [property: JsonPropertyName("innererror")] AzureInnerError? InnerError = null);

internal sealed record AzureInnerError(string Code);

/// <summary>RFC 9457 validation problem, as ASP.NET Core writes it.</summary>
internal sealed record ValidationProblem(
    string Type,
    string Title,
    int Status,
    string Detail,
    IReadOnlyDictionary<string, string[]> Errors);

internal sealed record EchoResponse(
    string Method,
    string Path,
    string Query,
    IReadOnlyDictionary<string, string> Headers,
    string Body);

/// <summary>
/// GET /whoami: the identity the backend saw in the bearer token — a user (<c>kind: "user"</c>, delegated scopes) or
/// an application (<c>kind: "app"</c>, application roles), or <c>"anonymous"</c> when the gateway let a request through without one.
/// </summary>
internal sealed record WhoAmIResponse(string Kind, string? ObjectId, string? Name, string? Username, string? AppId, string? Scopes, IReadOnlyList<string>? Roles);
