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
