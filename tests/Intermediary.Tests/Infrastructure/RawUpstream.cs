using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// An upstream that is only a TCP listener: it records every byte each connection sends and answers every request
/// line it sees with a small JSON 200, so a test can count requests at the byte level — the level at which a
/// smuggled second request would show up, and HttpClient-based fakes would not.
/// </summary>
public sealed partial class RawUpstream : IAsyncDisposable
{
    private const string Answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly ConcurrentQueue<StringBuilder> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private RawUpstream()
    {
        _listener.Start();
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/api/");
        _accepting = AcceptAsync();
    }

    /// <summary>Starts listening on a free loopback port.</summary>
    public static RawUpstream Start() => new();

    /// <summary>http://127.0.0.1:PORT/api/</summary>
    public Uri BaseUrl { get; }

    /// <summary>Everything received, connection by connection (Latin-1, so every byte is one character).</summary>
    public string Received => string.Join("\n--- next connection ---\n", _connections.Select(c => { lock (c) { return c.ToString(); } }));

    /// <summary>Request lines received (method, target, HTTP version at the start of a line), on all connections.</summary>
    public IReadOnlyList<string> RequestLines => RequestLine().Matches(Received).Select(m => m.Value.TrimEnd()).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var received = new StringBuilder();
        _connections.Enqueue(received);
        using (client)
        {
            var stream = client.GetStream();
            var buffer = new byte[8192];
            var answered = 0;
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    string text;
                    lock (received)
                    {
                        received.Append(Encoding.Latin1.GetString(buffer, 0, read));
                        text = received.ToString();
                    }

                    // One answer per request head seen: a smuggled request gets its own answer, as a real server's would.
                    for (var heads = RequestLine().Count(text); answered < heads; answered++)
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes(Answer), _stop.Token);
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    [GeneratedRegex(@"(?<=^|\n)[A-Z]+ \S+ HTTP/1\.[01]\r?\n")]
    private static partial Regex RequestLine();
}
