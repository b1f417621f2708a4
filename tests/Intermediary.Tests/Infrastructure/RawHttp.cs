using System.Net.Sockets;
using System.Text;

namespace Intermediary.Tests.Infrastructure;

/// <summary>Sends a request line exactly as written (HttpClient would normalise dot segments and escapes away).</summary>
public static class RawHttp
{
    /// <param name="encoding">How the head is turned into bytes: ASCII unless a test sends other bytes on purpose.</param>
    public static async Task<(int Status, string Body)> SendAsync(Uri server, string requestHead, Encoding? encoding = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        var request = $"{requestHead}Host: {server.Authority}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync((encoding ?? Encoding.ASCII).GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Parse(await reader.ReadToEndAsync());
    }

    /// <summary>
    /// Sends <paramref name="request"/> byte for byte (head and whatever body, however malformed or short), keeps the
    /// connection open as a stalled client would, and reads the answer until the server closes the connection.
    /// </summary>
    public static async Task<(int Status, string Body)> SendExactAsync(Uri server, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            response.Append(buffer, 0, read);
            if (IsComplete(response.ToString()))
            {
                break;
            }
        }

        return Parse(response.ToString());
    }

    /// <summary>A whole response: headers and a Content-Length body, or a chunked body up to its last chunk.</summary>
    private static bool IsComplete(string response)
    {
        var headEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (headEnd < 0)
        {
            return false;
        }

        var head = response[..headEnd];
        var length = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        return length is not null
            ? response.Length - headEnd - 4 >= int.Parse(length["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
            : response.EndsWith("0\r\n\r\n", StringComparison.Ordinal);
    }

    private static (int Status, string Body) Parse(string response)
    {
        var statusLine = response[..response.IndexOf("\r\n", StringComparison.Ordinal)];
        var status = int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var body = response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        if (response.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body);
        }

        return (status, body);
    }

    private static string Dechunk(string chunked)
    {
        var result = new StringBuilder();
        var position = 0;
        while (true)
        {
            var lineEnd = chunked.IndexOf("\r\n", position, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[position..lineEnd].Split(';')[0], 16);
            if (size == 0)
            {
                return result.ToString();
            }

            result.Append(chunked, lineEnd + 2, size);
            position = lineEnd + 2 + size + 2;
        }
    }
}
