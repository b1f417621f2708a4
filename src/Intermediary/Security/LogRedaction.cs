using System.Buffers;
using System.Collections;
using System.Text.RegularExpressions;
using Intermediary.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Intermediary.Security;

/// <summary>
/// Finds and removes secrets in log text: the configured function keys, client secrets, subscription keys and
/// certificate passwords wherever they appear, plus anything shaped like a credential — <c>?code=</c> and other
/// credential query parameters (Kestrel logs raw request targets at Debug, ASP.NET Core's request-start line
/// includes the query), bearer tokens and JWTs, storage account keys and SAS signatures, and key headers.
/// </summary>
internal sealed partial class LogRedactor
{
    private static readonly string[] s_markers =
    [
        "code=", "sig=", "secret=", "assertion=", "token=", "password=", "subscription-key", "functions-key", "eyJ",
        "AccountKey=", "SharedAccessSignature", "Bearer",
    ];

    private readonly Func<IntermediaryOptions?> _options;
    private readonly Lock _gate = new();
    private IntermediaryOptions? _seen;
    private bool _resolved;
    private Snapshot _snapshot = new([], SearchValues.Create(s_markers, StringComparison.OrdinalIgnoreCase));

    /// <param name="options">Read lazily and again whenever it changes; null (or a failure to bind) leaves the patterns only.</param>
    public LogRedactor(Func<IntermediaryOptions?> options) => _options = options;

    /// <summary>True when <paramref name="text"/> may hold a secret (a cheap, vectorised test; false negatives impossible).</summary>
    public bool MayContainSecret(ReadOnlySpan<char> text) => text.IndexOfAny(Current().Markers) >= 0;

    /// <summary>The text with every secret replaced by <see cref="CredentialEchoes.Marker"/>.</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var snapshot = Current();
        if (text.AsSpan().IndexOfAny(snapshot.Markers) < 0)
        {
            return text;
        }

        foreach (var secret in snapshot.Secrets)
        {
            text = text.Replace(secret, CredentialEchoes.Marker, StringComparison.Ordinal);
        }

        return CredentialPatterns().Replace(text, CredentialEchoes.Marker);
    }

    private Snapshot Current()
    {
        IntermediaryOptions? options;
        try
        {
            options = _options();
        }
        catch (OptionsValidationException)
        {
            // Invalid configuration stops the host at start; until then the patterns still apply.
            options = null;
        }

        if (_resolved && ReferenceEquals(options, _seen))
        {
            return _snapshot;
        }

        lock (_gate)
        {
            var secrets = SecretsIn(options).Where(s => s.Length >= 6).Distinct(StringComparer.Ordinal)
                .OrderByDescending(s => s.Length).ToArray();
            _snapshot = new Snapshot(secrets, SearchValues.Create([.. s_markers, .. secrets], StringComparison.OrdinalIgnoreCase));
            _seen = options;
            _resolved = true;
            return _snapshot;
        }
    }

    private static IEnumerable<string> SecretsIn(IntermediaryOptions? options)
    {
        if (options is null)
        {
            yield break;
        }

        foreach (var key in options.FunctionKeys.Values)
        {
            yield return key;
        }

        foreach (var upstream in options.Upstreams.Values)
        {
            foreach (var secret in new[] { upstream.ClientSecret, upstream.SubscriptionKey, upstream.CertificatePassword, upstream.CertificateBase64 })
            {
                if (!string.IsNullOrEmpty(secret))
                {
                    yield return secret;
                }
            }
        }
    }

    private sealed record Snapshot(string[] Secrets, SearchValues<string> Markers);

    // Values only: the names stay, so a redacted line still says what was there.
    [GeneratedRegex(
        @"(?<=[?&;](?:code|sig|client_secret|client_assertion|access_token|id_token|refresh_token|password|subscription-key)=)[^&\s""'#<>]+"
        + @"|(?<=\b(?:x-functions-key|ocp-apim-subscription-key)[""']?\s*[:=]\s*[""']?)[^\s,;""']+"
        + @"|(?<=\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}"
        + @"|\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
        + @"|(?<=\b(?:AccountKey|SharedAccessSignature|SharedAccessKey)=)[^;\s""']+",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CredentialPatterns();
}

/// <summary>
/// Wraps the host's logger factory so that every logger, whatever its provider (console, Application Insights,
/// OpenTelemetry, the Functions worker's channel to the host), receives messages, structured fields, scopes and
/// exception texts with secrets removed — at every level, so no logging setting can reveal a key.
/// </summary>
internal sealed class RedactingLoggerFactory(ILoggerFactory inner, LogRedactor redactor) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new RedactingLogger(inner.CreateLogger(categoryName), redactor);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose() => inner.Dispose();
}

internal sealed class RedactingLogger(ILogger inner, LogRedactor redactor) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull =>
        NeedsRedaction(state, null)
            ? inner.BeginScope(RedactedState.From(state, redactor.Redact(state.ToString() ?? ""), redactor))
            : inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        if (!NeedsRedaction(state, exception) && (state is IReadOnlyList<KeyValuePair<string, object?>> || !redactor.MayContainSecret(formatter(state, exception))))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        var redacted = RedactedState.From(state, redactor.Redact(formatter(state, exception)), redactor);
        var safeException = exception is null ? null : new RedactedException(exception, redactor);
        inner.Log(logLevel, eventId, redacted, safeException, static (s, _) => s.ToString());
    }

    /// <summary>Structured fields are checked one by one (cheaper than formatting); an exception by its full text.</summary>
    private bool NeedsRedaction<TState>(TState state, Exception? exception)
    {
        if (exception is not null && redactor.MayContainSecret(exception.ToString()))
        {
            return true;
        }

        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            for (var i = 0; i < fields.Count; i++)
            {
                if (fields[i].Value is { } value and not ValueType && redactor.MayContainSecret(LoggedText.Of(value)))
                {
                    return true;
                }
            }

            return false;
        }

        return state is string text && redactor.MayContainSecret(text);
    }
}

/// <summary>A log state whose message and fields have been redacted; the message template is kept as it was.</summary>
internal sealed class RedactedState(string message, IReadOnlyList<KeyValuePair<string, object?>> fields) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private const string OriginalFormat = "{OriginalFormat}";

    public int Count => fields.Count;

    public KeyValuePair<string, object?> this[int index] => fields[index];

    public static RedactedState From<TState>(TState state, string message, LogRedactor redactor)
    {
        var fields = state is IReadOnlyList<KeyValuePair<string, object?>> list
            ? list.Select(field => field.Key == OriginalFormat || field.Value is null or ValueType
                ? field
                : new KeyValuePair<string, object?>(field.Key, redactor.Redact(LoggedText.Of(field.Value)))).ToList()
            : [];
        return new RedactedState(message, fields);
    }

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => fields.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => message;
}

/// <summary>A field value as a logger would print it (sequences as their items, as LoggerMessage formats them).</summary>
internal static class LoggedText
{
    public static string Of(object value) => value switch
    {
        string text => text,
        IEnumerable items => string.Join(", ", items.Cast<object?>()),
        _ => value.ToString() ?? "",
    };
}

/// <summary>Stands in for an exception whose text held a secret: same type name, message and stack, redacted.</summary>
internal sealed class RedactedException : Exception
{
    private readonly string _text;
    private readonly string? _stackTrace;

    public RedactedException(Exception original, LogRedactor redactor)
        : base(redactor.Redact(original.Message))
    {
        _text = redactor.Redact(original.ToString());
        _stackTrace = original.StackTrace;
        HResult = original.HResult;
    }

    public RedactedException()
    {
        _text = "";
    }

    public RedactedException(string message)
        : base(message)
    {
        _text = message;
    }

    public RedactedException(string message, Exception innerException)
        : base(message, innerException)
    {
        _text = message;
    }

    public override string? StackTrace => _stackTrace;

    public override string ToString() => _text;
}
