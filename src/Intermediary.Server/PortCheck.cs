using System.Net;
using System.Net.Sockets;

namespace Intermediary.Server;

/// <summary>
/// Finds a listen address whose port another process holds, before Kestrel tries it, so the run command can say
/// so in one line instead of failing with a stack trace.
/// </summary>
internal static class PortCheck
{
    /// <summary>The first of <paramref name="urls"/> (the <c>urls</c> setting: ';'-separated) that cannot be bound; null when all can.</summary>
    public static string? FirstInUse(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Endpoint(url) is { Port: > 0 } endpoint && !CanBind(endpoint))
            {
                return url;
            }
        }

        return null;
    }

    private static IPEndPoint? Endpoint(string url)
    {
        // Kestrel's wildcards ("*", "+") are not valid URI hosts; any address is what they mean.
        var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
        if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri))
        {
            return null;
        }

        // An address as written; "localhost" is the loopback; any other name, every interface.
        var address = IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed
            : uri.IsLoopback ? IPAddress.Loopback
            : IPAddress.Any;
        return new IPEndPoint(address, uri.Port);
    }

    private static bool CanBind(IPEndPoint endpoint)
    {
        try
        {
            using var listener = new TcpListener(endpoint);
            listener.Start();
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return false;
        }
        catch (SocketException)
        {
            // Another problem (an address this machine does not have): Kestrel reports it itself.
            return true;
        }
    }
}
