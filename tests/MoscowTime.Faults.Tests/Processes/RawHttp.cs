using System.Net.Sockets;
using System.Text;

namespace MoscowTime.Faults.Tests.Processes;

/// <summary>What a server did with bytes sent as they are.</summary>
/// <param name="Status">The status code of its answer; null when it closed the connection without one.</param>
/// <param name="Head">The status line and headers, for messages.</param>
/// <param name="Body">As much of the body as came with the head.</param>
internal sealed record RawAnswer(int? Status, string Head, string Body)
{
    public override string ToString() => Status is null ? "closed without an answer" : Head.Split("\r\n")[0];
}

/// <summary>HTTP/1.1 over a plain socket to 127.0.0.1, for requests no HTTP client would send.</summary>
internal static class RawHttp
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Sends <paramref name="request"/> and reads the answer until the head is complete or the server closes.</summary>
    /// <exception cref="TimeoutException">The server neither answered nor closed: it is stuck on the request.</exception>
    public static async Task<RawAnswer> SendAsync(Uri server, string request) =>
        await SendAsync(server, Encoding.Latin1.GetBytes(request));

    public static async Task<RawAnswer> SendAsync(Uri server, byte[] request)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(AnswerTimeout);
        await client.ConnectAsync(server.Host, server.Port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // It closed before taking everything (an oversized request): what it answered is still to be read.
        }

        return await ReadAnswerAsync(stream, timeout.Token);
    }

    /// <summary>Reads until the head is complete, the server closes, or the time runs out.</summary>
    public static async Task<RawAnswer> ReadAnswerAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await stream.ReadAsync(buffer, cancellationToken);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
                var text = Encoding.Latin1.GetString(received.ToArray());
                if (text.Contains("\r\n\r\n", StringComparison.Ordinal) && ContentComplete(text))
                {
                    break;
                }
            }
        }
        catch (IOException)
        {
            // Reset: keep what arrived before it.
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no answer and no close within {AnswerTimeout}");
        }

        return Parse(Encoding.Latin1.GetString(received.ToArray()));
    }

    private static bool ContentComplete(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = text[..end];
        var length = head.Split("\r\n").Select(line => line.Split(':', 2))
            .FirstOrDefault(parts => parts.Length == 2 && parts[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase));
        return length is null || text.Length - end - 4 >= int.Parse(length[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static RawAnswer Parse(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!text.StartsWith("HTTP/1.", StringComparison.Ordinal) || end < 0)
        {
            return new RawAnswer(null, text, "");
        }

        var status = int.Parse(text.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return new RawAnswer(status, text[..end], text[(end + 4)..]);
    }
}
