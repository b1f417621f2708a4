using System.Buffers;

namespace Intermediary.Security;

/// <summary>Upstream names are route segments: short, letters/digits/'-'/'_' only.</summary>
internal static class UpstreamName
{
    private static readonly SearchValues<char> s_allowed =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= 64 && !name.AsSpan().ContainsAnyExcept(s_allowed);
}
