using System.Net;

namespace MoscowTime.Web.Cluster;

/// <summary>Resolves the headless Service's name; tests substitute loopback answers.</summary>
public interface IPeerResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

public sealed class DnsPeerResolver : IPeerResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, System.Net.Sockets.AddressFamily.InterNetwork, cancellationToken);
}
