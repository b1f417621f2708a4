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
}
