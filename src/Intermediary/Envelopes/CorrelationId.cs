using System.Buffers;
using System.Security.Cryptography;
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
        id = IsWellFormed(offered) ? offered! : NewId();
        context.Items[s_itemKey] = id;
        return id;
    }

    private const int IdBytes = 16;
    private const int IdsPerRefill = 64;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    /// <summary>
    /// 128 random bits as 32 lowercase hex characters (the shape of a GUID's "N" format). The bits come from the
    /// cryptographic generator 64 ids at a time: <see cref="Guid.NewGuid"/> reads the kernel's random source once per
    /// call, a system call on every request that carried no id of its own (about 1 % of the Server host's CPU).
    /// </summary>
    internal static string NewId()
    {
        var random = t_random ??= new byte[IdBytes * IdsPerRefill];
        if (t_used == 0)
        {
            RandomNumberGenerator.Fill(random);
        }

        var id = Convert.ToHexStringLower(random.AsSpan(t_used * IdBytes, IdBytes));
        t_used = (t_used + 1) % IdsPerRefill;
        return id;
    }

    internal static bool IsWellFormed(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= MaxLength && !value.AsSpan().ContainsAnyExcept(s_allowed);
}
