using Intermediary.Simulator.Gateway;

namespace Intermediary.Simulator.Api;

/// <summary>The demo API's own errors, in the Azure REST shape (APIM's errors are <see cref="ApimResponses"/>).</summary>
internal static class ApiErrors
{
    public static Task InvalidParameterAsync(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, new AzureError("InvalidParameter", message));

    public static Task InvalidBodyAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status400BadRequest, new AzureError("InvalidRequestContent", "The request body is not valid JSON."));

    public static Task NotFoundAsync(HttpContext context, string code, string message) =>
        WriteAsync(context, StatusCodes.Status404NotFound, new AzureError(code, message, new AzureInnerError("NotFound")));

    public static Task UnavailableAsync(HttpContext context, string message) =>
        WriteAsync(context, StatusCodes.Status503ServiceUnavailable, new AzureError("ServiceUnavailable", message));

    private static Task WriteAsync(HttpContext context, int status, AzureError error) =>
        ApimResponses.WriteJsonAsync(context, status, new AzureErrorResponse(error), GatewayJsonContext.Literal.AzureErrorResponse);
}
