using Intermediary.Envelopes;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Endpoints;

/// <summary>
/// The answer for a URL no endpoint takes: <c>NotFound</c>, or <c>MethodNotAllowed</c> when the path is one of ours
/// and only the method is wrong. The Server host maps it as its fallback route (which outranks routing's own 405);
/// the Functions host as a catch-all function, so neither host answers with an empty body or an HTML page.
/// </summary>
public static class IntermediaryFallback
{
    private const int MaxEchoedLength = 100;

    public static EnvelopeResult Answer(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var path = context.Request.Path;
        var method = context.Request.Method;
        var accepted = AcceptedMethods(path);
        // A method the path's endpoint accepts means the path itself did not match (e.g. an empty segment).
        return new EnvelopeResult(accepted.Count > 0 && !accepted.Contains(method, StringComparer.OrdinalIgnoreCase)
            ? Envelope.Failure(EnvelopeCode.MethodNotAllowed, $"This endpoint does not accept {Truncate(method)}.")
            : Envelope.Failure(EnvelopeCode.NotFound, $"No endpoint matches {Truncate(method)} {Truncate(path.Value)}."));
    }

    /// <summary>The methods of the endpoint family <paramref name="path"/> belongs to; empty when it is none of ours.</summary>
    private static IReadOnlyList<string> AcceptedMethods(PathString path)
    {
        var prefix = "/" + IntermediaryRoutes.Prefix;
        if (path.Equals(prefix + "/" + IntermediaryRoutes.Health, StringComparison.OrdinalIgnoreCase)
            || path.Equals(prefix + "/" + IntermediaryRoutes.Live, StringComparison.OrdinalIgnoreCase))
        {
            return ["GET"];
        }

        if (path.StartsWithSegments(prefix + "/call", StringComparison.OrdinalIgnoreCase))
        {
            return IntermediaryRoutes.CallMethods;
        }

        return path.StartsWithSegments(prefix + "/jobs", StringComparison.OrdinalIgnoreCase) ? ["GET", "POST", "DELETE"] : [];
    }

    private static string Truncate(string? value) =>
        value is null ? "" : value.Length > MaxEchoedLength ? value[..MaxEchoedLength] + "…" : value;
}
