using Intermediary.Configuration;
using Intermediary.Security;
using Intermediary.Simulator;
using Intermediary.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Intermediary.Tests.Security;

public sealed class LogRedactionTests
{
    private const string FunctionKey = "function-key-ABCDEF012345";
    private const string ClientSecret = "client~secret.value_0987";

    private static readonly LogRedactor s_redactor = new(() =>
    {
        var options = new IntermediaryOptions();
        options.FunctionKeys["app"] = FunctionKey;
        options.Upstreams["orders"] = new UpstreamOptions { ClientSecret = ClientSecret, SubscriptionKey = "sub-key-5555aaaa" };
        return options;
    });

    private static readonly Action<ILogger, string, Exception?> s_refused = LoggerMessage.Define<string>(LogLevel.Debug, new EventId(1), "Target {Target} refused");
    private static readonly Func<ILogger, string, IDisposable?> s_scope = LoggerMessage.DefineScope<string>("request ?code={Key}");

    [Theory]
    [InlineData($"GET /api/call/orders/items?code={FunctionKey}&x=1 HTTP/1.1", "GET /api/call/orders/items?code=[redacted]&x=1 HTTP/1.1")]
    [InlineData("Invalid request line: 'GET /api/x?a=1&CODE=some-unknown-key HTTP/1.1'", "Invalid request line: 'GET /api/x?a=1&CODE=[redacted] HTTP/1.1'")]
    [InlineData($"secret is {ClientSecret}.", "secret is [redacted].")]
    [InlineData("Authorization: Bearer abcdefgh.ijklmnop.qrstuvwx", "Authorization: Bearer [redacted]")]
    [InlineData("token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig-nature here", "token [redacted] here")]
    [InlineData("AccountName=dev;AccountKey=Zm9vYmFy+/==;EndpointSuffix=x", "AccountName=dev;AccountKey=[redacted];EndpointSuffix=x")]
    [InlineData("x-functions-key: another-key-value", "x-functions-key: [redacted]")]
    [InlineData("\"Ocp-Apim-Subscription-Key\":\"abc123def456\"", "\"Ocp-Apim-Subscription-Key\":\"[redacted]\"")]
    [InlineData("grant_type=client_credentials&client_secret=s3cr3t-value&scope=x", "grant_type=client_credentials&client_secret=[redacted]&scope=x")]
    [InlineData("https://acct.blob.core.windows.net/c?sv=2024&sig=AbC%2Fdef", "https://acct.blob.core.windows.net/c?sv=2024&sig=[redacted]")]
    public void Secrets_and_credential_shaped_values_are_replaced(string text, string expected)
    {
        Assert.True(s_redactor.MayContainSecret(text));
        Assert.Equal(expected, s_redactor.Redact(text));
    }

    [Theory]
    [InlineData("Upstream demo GET /items answered 200 → Ok after 1 attempt(s) in 12 ms")]
    [InlineData("Job 0123456789abcdef0123456789abcdef finished: Ok")]
    public void Ordinary_lines_pass_untouched(string text)
    {
        Assert.False(s_redactor.MayContainSecret(text));
        Assert.Same(text, s_redactor.Redact(text));
    }

    [Fact]
    public void Messages_fields_scopes_and_exceptions_all_reach_providers_redacted()
    {
        var capture = new CapturingLoggerProvider();
        using var factory = new RedactingLoggerFactory(LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace)), s_redactor);
        var logger = factory.CreateLogger("test");

        using (s_scope(logger, FunctionKey))
        {
            s_refused(logger, $"/x?code={FunctionKey}", new InvalidOperationException($"bad target /x?code={FunctionKey}"));
        }

        var line = Assert.Single(capture.Lines);
        Assert.DoesNotContain(FunctionKey, line, StringComparison.Ordinal);
        Assert.Contains("Target /x?code=[redacted] refused", line, StringComparison.Ordinal);
        Assert.Contains("Target=/x?code=[redacted]", line, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException: bad target /x?code=[redacted]", line, StringComparison.Ordinal);
        Assert.Contains("request ?code=[redacted]", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bearer abcdefgh.ijklmnop.qrstuvwx was refused", "Bearer [redacted] was refused")]
    [InlineData($"{FunctionKey} is the key that was used", "[redacted] is the key that was used")]
    public void A_secret_at_the_very_start_of_the_text_is_found(string text, string expected)
    {
        var inner = new RecordingLogger();

        new RedactingLogger(inner, s_redactor).Log(LogLevel.Information, default, text, null, static (s, _) => s);

        Assert.True(s_redactor.MayContainSecret(text));
        Assert.Equal(expected, s_redactor.Redact(text));
        Assert.Equal(expected, Assert.Single(inner.Entries).Message);
    }

    [Fact]
    public void A_state_that_is_neither_text_nor_fields_is_judged_by_its_formatted_message()
    {
        var inner = new RecordingLogger();

        new RedactingLogger(inner, s_redactor).Log(LogLevel.Information, default, 42, null, (_, _) => $"call /x?code={FunctionKey}");

        Assert.Equal("call /x?code=[redacted]", Assert.Single(inner.Entries).Message);
        Assert.Throws<ArgumentNullException>(() => s_redactor.Redact(null!));
    }

    [Fact]
    public void Configured_secrets_are_replaced_whole_even_when_one_contains_another()
    {
        // Six characters is the shortest configured secret looked for; the longer one must go first or its tail leaks.
        var redactor = new LogRedactor(() => WithSecrets(functionKey: "k6-six", clientSecret: "k6-six-and-more"));

        Assert.Equal("a [redacted] b [redacted]", redactor.Redact("a k6-six-and-more b k6-six"));
    }

    [Fact]
    public void Secrets_configured_later_are_picked_up_when_the_options_change()
    {
        var current = WithSecrets(functionKey: "first-function-key", clientSecret: null);
        var redactor = new LogRedactor(() => current);
        Assert.Equal("key [redacted]", redactor.Redact("key first-function-key"));

        current = WithSecrets(functionKey: "second-function-key", clientSecret: null);

        Assert.True(redactor.MayContainSecret("plain second-function-key"));
        Assert.Equal("plain [redacted]", redactor.Redact("plain second-function-key"));
    }

    [Fact]
    public void Clean_entries_reach_the_provider_once_and_as_they_were()
    {
        var inner = new RecordingLogger();
        var logger = new RedactingLogger(inner, s_redactor);

        s_refused(logger, "/api/call/orders/items", null);

        var entry = Assert.Single(inner.Entries);
        Assert.IsNotType<RedactedState>(entry.State);
        Assert.Equal("Target /api/call/orders/items refused", entry.Message);
    }

    [Fact]
    public void Disabled_levels_are_never_formatted()
    {
        var inner = new RecordingLogger { Enabled = false };
        var logger = new RedactingLogger(inner, s_redactor);
        var formatted = 0;

        logger.Log(LogLevel.Trace, default, $"?code={FunctionKey}", null, (state, _) => { formatted++; return state; });

        Assert.Equal(0, formatted);
        Assert.Empty(inner.Entries);
        Assert.Throws<ArgumentNullException>(() => logger.Log<string>(LogLevel.Information, default, "x", null, null!));
    }

    [Fact]
    public void Sequence_and_object_fields_are_checked_as_the_logger_would_print_them()
    {
        var inner = new RecordingLogger();
        var logger = new RedactingLogger(inner, s_redactor);
        var log = LoggerMessage.Define<string[], Uri>(LogLevel.Information, new EventId(2), "Keys {Keys} at {Address}");

        log(logger, ["plain", FunctionKey], new Uri($"https://example.test/x?code={FunctionKey}"), null);

        var entry = Assert.Single(inner.Entries);
        Assert.DoesNotContain(FunctionKey, entry.Message, StringComparison.Ordinal);
        var fields = Assert.IsType<RedactedState>(entry.State);
        Assert.Equal("plain, [redacted]", fields.Single(f => f.Key == "Keys").Value);
        Assert.Equal("https://example.test/x?code=[redacted]", fields.Single(f => f.Key == "Address").Value);
    }

    [Fact]
    public void A_stand_in_exception_built_directly_prints_its_message()
    {
        Assert.Equal("", new RedactedException().ToString());
        Assert.Equal("message", new RedactedException("message").ToString());
        Assert.Equal("outer", new RedactedException("outer", new InvalidOperationException("inner")).ToString());
    }

    [Fact]
    public async Task Kestrel_debug_lines_and_the_request_start_line_never_show_a_function_key()
    {
        await using var simulator = await ApimSimulator.StartAsync();
        await using var host = await IntermediaryHost.StartAsync(simulator, new()
        {
            // What an operator turns on to troubleshoot: everything, at the most verbose level.
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
        });

        // A request line Kestrel rejects itself (a space in the target), and an ordinary request, both with ?code=.
        await RawHttp.SendAsync(host.BaseAddress, $"GET /api/call/demo/items?code={IntermediaryHost.FunctionKey}&x=a b HTTP/1.1\r\n");
        await host.CallAsync(HttpMethod.Get, $"api/call/demo/items?code={IntermediaryHost.FunctionKey}", withKey: false);

        var lines = host.Logs.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("Kestrel", StringComparison.Ordinal) && l.Contains("request line", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(lines, l => l.Contains("Request starting", StringComparison.Ordinal) && l.Contains("code=[redacted]", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain(IntermediaryHost.FunctionKey, l, StringComparison.Ordinal));
    }

    private static IntermediaryOptions WithSecrets(string functionKey, string? clientSecret)
    {
        var options = new IntermediaryOptions();
        options.FunctionKeys["app"] = functionKey;
        options.Upstreams["orders"] = new UpstreamOptions { ClientSecret = clientSecret };
        return options;
    }

    private sealed class RecordingLogger : ILogger
    {
        public bool Enabled { get; init; } = true;

        public List<(object? State, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => Enabled;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((state, formatter(state, exception)));
    }
}
