namespace Intermediary.Simulator.Gateway;

/// <summary>Where APIM looks for the subscription key: the header first, then the query string.</summary>
internal static class SubscriptionKey
{
    public const string HeaderName = "Ocp-Apim-Subscription-Key";
    public const string QueryName = "subscription-key";

    public static string? Read(HttpRequest request)
    {
        var header = request.Headers[HeaderName].ToString();
        if (header.Length > 0)
        {
            return header;
        }

        var query = request.Query[QueryName].ToString();
        return query.Length > 0 ? query : null;
    }
}
