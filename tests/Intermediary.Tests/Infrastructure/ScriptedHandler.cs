using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Intermediary.Tests.Infrastructure;

/// <summary>A boundary we own: an HttpMessageHandler that answers from a script and records every request.</summary>
public sealed class ScriptedHandler(Func<HttpRequestMessage, int, CancellationToken, Task<HttpResponseMessage>> script) : HttpMessageHandler
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public ConcurrentQueue<(HttpMethod Method, Uri Uri, Dictionary<string, string> Headers)> Requests { get; } = new();

    public static HttpResponseMessage Json(HttpStatusCode status, string json, params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var number = Interlocked.Increment(ref _count);
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        Requests.Enqueue((request.Method, request.RequestUri!, headers));
        return script(request, number, cancellationToken);
    }
}
