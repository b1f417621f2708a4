using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Intermediary.Tests.Infrastructure;

/// <summary>Keeps every log line (message, scopes and exception text) so tests can scan them for secrets.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopes = new List<string>();
            owner._scopes.ForEachScope((scope, list) => list.Add(scope?.ToString() ?? ""), scopes);
            if (state is IEnumerable<KeyValuePair<string, object?>> fields)
            {
                scopes.AddRange(fields.Select(f => $"{f.Key}={f.Value}"));
            }

            owner.Lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} | {string.Join("; ", scopes)} | {exception}");
        }
    }
}
