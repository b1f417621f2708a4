using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Intermediary.Envelopes;

/// <summary>One id per request: the caller's <c>x-correlation-id</c> when well-formed, otherwise a new one.</summary>
public static class CorrelationId
{
    public const string HeaderName = "x-correlation-id";
    private const int MaxLength = 128;
    private static readonly object s_itemKey = new();
    private static readonly SearchValues<char> s_allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:");

    /// <summary>The request's correlation id, decided once and remembered on the context.</summary>
    public static string For(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(s_itemKey, out var existing) && existing is string id)
        {
            return id;
        }

        string? offered = context.Request.Headers[HeaderName];
        id = IsWellFormed(offered) ? offered! : Guid.NewGuid().ToString("N");
        context.Items[s_itemKey] = id;
        return id;
    }

    internal static bool IsWellFormed(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && !value.AsSpan().ContainsAnyExcept(s_allowed);
}
