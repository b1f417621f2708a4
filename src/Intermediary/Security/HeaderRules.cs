using System.Buffers;

namespace Intermediary.Security;

/// <summary>
/// What a header must look like before it goes into an upstream request. .NET adds our headers with
/// <c>TryAddWithoutValidation</c> and writes CR/LF as it finds them, so a value with a line break would end the
/// header block and smuggle a second request (carrying our token) onto the connection; a non-ASCII value throws
/// while the request is written, which would look like a network failure. Both are the caller's mistake, so they
/// are refused at intake, by name.
/// </summary>
internal static class HeaderRules
{
    // RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static readonly SearchValues<char> s_tokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    // RFC 9110 5.5 field-value, restricted to ASCII: VCHAR, SP and HTAB (no obs-text, no control characters).
    private static readonly SearchValues<char> s_valueChars = SearchValues.Create(
        "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    /// <summary>A header name is an RFC 9110 token: at least one character, no separators, spaces or controls.</summary>
    public static bool IsValidName(string? name) => !string.IsNullOrEmpty(name) && !name.AsSpan().ContainsAnyExcept(s_tokenChars);

    /// <summary>A value is printable ASCII, space or tab: no CR, LF, NUL or other control character, nothing above 0x7E.</summary>
    public static bool IsValidValue(string? value) => value is not null && !value.AsSpan().ContainsAnyExcept(s_valueChars);

    /// <summary>Why these headers may not be sent, naming the first bad one; null when all are fine.</summary>
    public static string? Problem(IEnumerable<KeyValuePair<string, string>> headers)
    {
        foreach (var (name, value) in headers)
        {
            if (!IsValidName(name))
            {
                return $"The header name '{UntrustedText.Printable(name)}' is not a valid HTTP header name (RFC 9110 token characters only).";
            }

            if (!IsValidValue(value))
            {
                return $"The value of header '{name}' contains a line break, another control character or a non-ASCII character; header values must be printable ASCII.";
            }
        }

        return null;
    }
}
