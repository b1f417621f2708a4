using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Intermediary.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of a server, which a test can take down: every open connection is cut and new
/// ones are closed on arrival until it comes back — an outage as a client sees one, from the network's side.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly ConcurrentDictionary<TcpClient, byte> _open = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _down;

    private TcpProxy(int target)
    {
        _target = target;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    public static TcpProxy Start(int targetPort) => new(targetPort);

    /// <summary>Cuts every connection and refuses new ones until <see cref="ComeBack"/>.</summary>
    public void GoDown()
    {
        _down = true;
        foreach (var client in _open.Keys)
        {
            Cut(client);
        }
    }

    public void ComeBack() => _down = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        GoDown();
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
            var incoming = await _listener.AcceptTcpClientAsync(_stop.Token);
            if (_down)
            {
                Cut(incoming);
                continue;
            }

            _ = RelayAsync(incoming);
        }
    }

    /// <summary>Closes with a reset (no lingering), as a vanished server's connections end.</summary>
    private static void Cut(TcpClient client)
    {
        try
        {
            if (client.Client is { } socket)
            {
                socket.LingerState = new LingerOption(true, 0);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        client.Dispose();
    }

    private async Task RelayAsync(TcpClient incoming)
    {
        using var outgoing = new TcpClient();
        _open[incoming] = 0;
        _open[outgoing] = 0;
        try
        {
            await outgoing.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            var a = incoming.GetStream();
            var b = outgoing.GetStream();
            await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
        }
        finally
        {
            _open.TryRemove(incoming, out _);
            _open.TryRemove(outgoing, out _);
            incoming.Dispose();
        }
    }
}
