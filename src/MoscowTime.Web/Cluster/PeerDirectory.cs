using System.Collections.Concurrent;
using System.Net;

namespace MoscowTime.Web.Cluster;

/// <summary>A peer to ask: where it answers, and the pod name it last answered with.</summary>
public sealed record PeerTarget(Uri BaseAddress, string Name);

/// <summary>Who the other pods are: the static list, plus the addresses the headless Service resolves to.</summary>
/// <remarks>
/// A pod that stops being ready drops out of DNS at once; forgetting it would make the total silently
/// smaller yet "complete". So a pod seen before stays listed (not ok) for <see cref="ClusterOptions.ForgetAfter"/>,
/// then counts as scaled away. No Kubernetes API access is needed.
/// </remarks>
public sealed partial class PeerDirectory(
    IOptions<ClusterOptions> options, IPeerResolver resolver, TimeProvider time, ILogger<PeerDirectory> logger)
{
    private readonly ClusterOptions _options = options.Value;
    private readonly ConcurrentDictionary<Uri, KnownPeer> _resolved = new();
    private readonly ConcurrentDictionary<Uri, string> _names = new();

    public bool HasPeers => _options.Peers.Count > 0 || !string.IsNullOrEmpty(_options.PeerDns);

    public IReadOnlyList<PeerTarget> Targets()
    {
        var now = time.GetUtcNow();
        return _options.Peers.Select(peer => new Uri(peer, UriKind.Absolute))
            .Concat(_resolved.Values.Where(peer => now - peer.LastResolved < _options.ForgetAfter).Select(peer => peer.BaseAddress))
            .Distinct()
            .Select(address => new PeerTarget(address, _names.GetValueOrDefault(address) ?? address.Authority))
            .ToList();
    }

    /// <summary>Remembers which pod answers at an address, so a silent one is still named.</summary>
    public void Learn(Uri baseAddress, string pod) => _names[baseAddress] = pod;

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(_options.PeerDns))
        {
            return;
        }

        try
        {
            var addresses = await resolver.ResolveAsync(_options.PeerDns, cancellationToken);
            var now = time.GetUtcNow();
            foreach (var address in addresses)
            {
                var baseAddress = new UriBuilder(Uri.UriSchemeHttp, address.ToString(), _options.PeerPort).Uri;
                _resolved[baseAddress] = new KnownPeer(baseAddress, now);
            }

            foreach (var stale in _resolved.Values.Where(peer => now - peer.LastResolved >= _options.ForgetAfter))
            {
                _resolved.TryRemove(stale.BaseAddress, out _);
                _names.TryRemove(stale.BaseAddress, out _);
            }
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // No ready pod at all also looks like this (NXDOMAIN); keep asking the ones we know.
            LogResolveFailed(logger, _options.PeerDns, ex.Message);
        }
    }

    private sealed record KnownPeer(Uri BaseAddress, DateTimeOffset LastResolved);

    [LoggerMessage(LogLevel.Warning, "Cannot resolve peers from {PeerDns}: {Reason}; asking the pods already known")]
    private static partial void LogResolveFailed(ILogger logger, string peerDns, string reason);
}

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
