namespace Intermediary.Diagnostics;

/// <summary>
/// Reads <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>, the Functions host's setting for Entra-authenticated
/// ingestion, so the worker's exporter authenticates with the same user-assigned managed identity.
/// </summary>
public static class ApplicationInsightsAuthentication
{
    /// <summary>The client id of <c>ClientId=...;Authorization=AAD</c>; null for anything else (no Entra ingestion).</summary>
    public static string? ClientId(string? authenticationString)
    {
        string? clientId = null;
        var entra = false;
        foreach (var part in (authenticationString ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pair = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (pair.Length != 2)
            {
                continue;
            }

            if (pair[0].Equals("Authorization", StringComparison.OrdinalIgnoreCase))
            {
                entra = pair[1].Equals("AAD", StringComparison.OrdinalIgnoreCase);
            }
            else if (pair[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase) && pair[1].Length > 0)
            {
                clientId = pair[1];
            }
        }

        return entra ? clientId : null;
    }
}
