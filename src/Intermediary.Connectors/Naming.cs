using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Intermediary.Connectors;

/// <summary>
/// Names and texts the way the connector string guidance wants them: PascalCase operation ids, sentence-case
/// operation summaries and Title Case display names (<c>x-ms-summary</c>), both at most 80 characters without
/// trailing punctuation, descriptions as sentences.
/// </summary>
internal static partial class Naming
{
    public const int MaxSummaryLength = 80;

    private static readonly HashSet<string> s_minorWords = new(StringComparer.Ordinal)
    {
        "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "by", "with", "as", "at",
    };

    /// <summary>The words of an identifier or phrase: split on non-alphanumerics and on camelCase humps.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var spaced = Hump().Replace(text, " ");
        return NonWord().Split(spaced).Where(w => w.Length > 0).ToList();
    }

    /// <summary><c>listItems</c>, <c>list_items</c>, <c>List items</c> → <c>ListItems</c>; a leading digit gets a prefix.</summary>
    public static string PascalCase(string text)
    {
        var builder = new StringBuilder();
        foreach (var word in Words(text))
        {
            builder.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        }

        var result = builder.ToString();
        return result.Length > 0 && char.IsDigit(result[0]) ? "Op" + result : result;
    }

    /// <summary>Title Case, minor words lower inside, acronyms kept, no trailing punctuation, at most 80 characters.</summary>
    public static string TitleCase(string text)
    {
        // A phrase keeps its own words (and their apostrophes); an identifier is split on its humps and separators.
        var words = text.Any(char.IsWhiteSpace)
            ? Whitespace().Split(text.Trim()).Where(w => w.Length > 0).ToList()
            : Words(text);
        var titled = words.Select((word, i) =>
            i > 0 && s_minorWords.Contains(word.ToLowerInvariant()) ? word.ToLowerInvariant()
            : IsAcronym(word) ? word
            : char.ToUpperInvariant(word[0]) + word[1..]);
        // The connector validator allows letters, digits, spaces and parentheses in a summary: "Customer's" → "Customers".
        var plain = SummaryPunctuation().Replace(PlainWords(string.Join(' ', titled)).Replace("'", "", StringComparison.Ordinal), " ");
        return Cut(Whitespace().Replace(plain, " ").Trim(), MaxSummaryLength);
    }

    /// <summary>
    /// An operation's summary (its name in the designer) in sentence case, as the connector string guidance asks: the
    /// first letter capital, the rest as written (an identifier's words lower-cased, acronyms kept), letters, digits,
    /// spaces and parentheses only, no trailing punctuation, at most 80 characters.
    /// </summary>
    public static string SentenceSummary(string text)
    {
        var words = text.Any(char.IsWhiteSpace)
            ? Whitespace().Split(text.Trim()).Where(w => w.Length > 0).ToList()
            : Words(text).Select((w, i) => i == 0 || IsAcronym(w) ? w : w.ToLowerInvariant()).ToList();
        if (words.Count == 0)
        {
            return "";
        }

        var joined = string.Join(' ', words);
        joined = char.ToUpperInvariant(joined[0]) + joined[1..];
        var plain = SummaryPunctuation().Replace(PlainWords(joined).Replace("'", "", StringComparison.Ordinal), " ");
        return Cut(Whitespace().Replace(plain, " ").Trim(), MaxSummaryLength);
    }

    /// <summary>A description as one or more sentences: collapsed whitespace, a capital first letter, a final stop.</summary>
    public static string Sentence(string text)
    {
        var collapsed = Whitespace().Replace(MarkdownLink().Replace(text, "$1"), " ").Trim();
        if (collapsed.Length == 0)
        {
            return collapsed;
        }

        collapsed = PlainWords(char.ToUpper(collapsed[0], CultureInfo.InvariantCulture) + collapsed[1..]);
        return collapsed[^1] is '.' or '!' or '?' ? collapsed : collapsed + ".";
    }

    /// <summary>
    /// Our connector wording rule: "API" only inside "API Management" (certification asks for plain words);
    /// elsewhere it becomes "service".
    /// </summary>
    public static string PlainWords(string text) => Api().Replace(text, m => m.Value.EndsWith('s') ? "services" : "service");

    private static string Cut(string text, int limit)
    {
        if (text.Length <= limit)
        {
            return text.TrimEnd('.', '!', '?', ':', ';', ',', ' ');
        }

        var cut = text[..limit];
        var space = cut.LastIndexOf(' ');
        return (space > limit / 2 ? cut[..space] : cut).TrimEnd('.', '!', '?', ':', ';', ',', ' ');
    }

    private static bool IsAcronym(string word) => word.Length > 1 && word.All(c => char.IsUpper(c) || char.IsDigit(c));

    [GeneratedRegex(@"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", RegexOptions.CultureInvariant)]
    private static partial Regex Hump();

    [GeneratedRegex(@"[^A-Za-z0-9()]+", RegexOptions.CultureInvariant)]
    private static partial Regex NonWord();

    [GeneratedRegex(@"[^A-Za-z0-9() ]", RegexOptions.CultureInvariant)]
    private static partial Regex SummaryPunctuation();

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)", RegexOptions.CultureInvariant)]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"\bAPIs?\b(?! Management)", RegexOptions.CultureInvariant)]
    private static partial Regex Api();
}
