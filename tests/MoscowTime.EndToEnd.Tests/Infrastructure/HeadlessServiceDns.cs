using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MoscowTime.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A DNS server that knows one name, playing the cluster DNS for the headless Service's pod names:
/// on the host's 127.0.0.1:53, which a container reaches as 10.0.2.2 (slirp4netns with
/// allow_host_loopback). nslookup takes no port, so it must be 53: the test needs root, as CI has.
/// A queries for the name get its address; other types get no answer, other names NXDOMAIN.
/// </summary>
public sealed class HeadlessServiceDns : IDisposable
{
    /// <summary>The host's loopback as slirp4netns shows it inside the container's network.</summary>
    public const string AddressInContainer = "10.0.2.2";

    private readonly UdpClient _socket;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public HeadlessServiceDns(string name, IPAddress address)
    {
        try
        {
            _socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 53));
        }
        catch (SocketException error)
        {
            throw new InvalidOperationException($"cannot serve DNS on 127.0.0.1:53 ({error.SocketErrorCode}): nslookup asks port 53 only, so this test runs as root, as CI does", error);
        }

        _serving = ServeAsync(name.TrimEnd('.'), address.GetAddressBytes());
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        try
        {
            _serving.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task ServeAsync(string name, byte[] address)
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await _socket.ReceiveAsync(_stop.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (Answer(query.Buffer, name, address) is { } reply)
            {
                await _socket.SendAsync(reply, query.RemoteEndPoint, _stop.Token);
            }
        }
    }

    /// <summary>RFC 1035 §4.1: header, the question echoed, at most one A record pointing at it.</summary>
    private static byte[]? Answer(byte[] query, string name, byte[] address)
    {
        if (query.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(4)) != 1)
        {
            return null;
        }

        var labels = new List<string>();
        var at = 12;
        while (at < query.Length && query[at] != 0)
        {
            if (at + 1 + query[at] > query.Length)
            {
                return null;
            }

            labels.Add(Encoding.ASCII.GetString(query, at + 1, query[at]));
            at += 1 + query[at];
        }

        var questionEnd = at + 5;
        if (questionEnd > query.Length)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(query.AsSpan(at + 1));
        var known = string.Join('.', labels).Equals(name, StringComparison.OrdinalIgnoreCase);
        var answer = known && type == 1;

        var reply = new List<byte>(query[..questionEnd]);
        reply[2] = (byte)(0x80 | (query[2] & 0x01)); // a response, recursion desired as asked
        reply[3] = (byte)(0x80 | (known ? 0 : 3));    // recursion available; NXDOMAIN for other names
        reply[6] = 0;
        reply[7] = (byte)(answer ? 1 : 0);
        reply[8] = reply[9] = reply[10] = reply[11] = 0;
        if (answer)
        {
            // The name by pointer to the question, type A, class IN, TTL 30 s, 4 bytes of address.
            reply.AddRange([0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, .. address]);
        }

        return [.. reply];
    }
}
