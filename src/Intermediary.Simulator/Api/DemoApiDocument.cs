namespace Intermediary.Simulator.Api;

/// <summary>
/// The demo backend's OpenAPI 3.0 document, served where APIM's management plane would export it (outside the
/// gateway: no subscription key), so the connector generator can be tried against it.
/// </summary>
internal static class DemoApiDocument
{
    public const string Route = "/apis/demo/openapi.json";

    public static async Task WriteAsync(HttpContext context)
    {
        await using var document = typeof(DemoApiDocument).Assembly.GetManifestResourceStream("demo-api.openapi.json")
            ?? throw new InvalidOperationException("The demo OpenAPI document is missing from the simulator.");
        context.Response.ContentType = "application/json; charset=utf-8";
        await document.CopyToAsync(context.Response.Body, context.RequestAborted);
    }
}
