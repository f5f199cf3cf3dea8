using System.Net;
using System.Net.Sockets;

namespace MoscowTime.Testing;

public static class FreePort
{
    /// <summary>A port the OS just handed out on <paramref name="address"/>; free again on return.</summary>
    public static int On(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A port free on all the given loopback addresses at once.</summary>
    public static int OnAll(params IPAddress[] addresses)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var port = On(addresses[0]);
            var listeners = new List<TcpListener>();
            try
            {
                foreach (var address in addresses)
                {
                    var listener = new TcpListener(address, port);
                    listener.Start();
                    listeners.Add(listener);
                }

                return port;
            }
            catch (SocketException)
            {
                // Taken on one of the addresses: try another.
            }
            finally
            {
                listeners.ForEach(listener => listener.Stop());
            }
        }

        throw new InvalidOperationException("no port free on all of " + string.Join(", ", (object[])addresses));
    }
}
