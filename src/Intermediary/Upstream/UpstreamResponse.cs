namespace Intermediary.Upstream;

/// <summary>An upstream answer read in full within its attempt (so a slow body counts against the attempt timeout).</summary>
internal sealed record UpstreamResponse(
    int StatusCode,
    string? ContentType,
    ReadOnlyMemory<byte> Body,
    IReadOnlyDictionary<string, string> Headers,
    bool BodyTooLarge)
{
    public static Dictionary<string, string> CollectHeaders(HttpResponseMessage response)
    {
        // NonValidated: the raw values, without parsing every header into typed objects on each call.
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.NonValidated)
        {
            headers[name] = values.ToString();
        }

        foreach (var (name, values) in response.Content.Headers.NonValidated)
        {
            headers[name] = values.ToString();
        }

        return headers;
    }
}
