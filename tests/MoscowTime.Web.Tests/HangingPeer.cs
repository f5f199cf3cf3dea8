using System.Net;
using System.Net.Sockets;

namespace MoscowTime.Web.Tests;

/// <summary>A peer that accepts every connection and never answers: a pod stuck in a GC pause or a dead node's SYN-ACK.</summary>
internal sealed class HangingPeer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Socket> _held = [];
    private readonly Task _accepting;
    private int _connections;

    public HangingPeer()
    {
        _listener.Start(backlog: 64);
        BaseAddress = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = AcceptAsync();
    }

    public Uri BaseAddress { get; }

    /// <summary>Connections accepted so far: one per attempt the caller made.</summary>
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync();
                lock (_held)
                {
                    _held.Add(socket);
                }

                Interlocked.Increment(ref _connections);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        await _accepting;
        lock (_held)
        {
            _held.ForEach(socket => socket.Dispose());
        }
    }
}
