using System.Text.Json.Serialization;
using MoscowTime.Storage;
using MoscowTime.Web.Pods;

namespace MoscowTime.Web.Cluster;

/// <summary>One pod's line in the cluster view; a peer that did not answer has no count and says why.</summary>
public sealed record PodCount(string Pod, long? Visits, bool Ok,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null);

/// <summary>The body of /visits/cluster: complete only when every known pod answered.</summary>
public sealed record ClusterVisits(long Total, bool Complete, IReadOnlyList<PodCount> Pods);

/// <summary>What the peers last reported, ready for the page to show without waiting on them.</summary>
public sealed record PeerSnapshot(IReadOnlyList<PodCount> Peers)
{
    public static readonly PeerSnapshot None = new([]);

    public long Total { get; } = Peers.Where(peer => peer.Ok).Sum(peer => peer.Visits ?? 0);
    public bool Complete { get; } = Peers.All(peer => peer.Ok);
}

/// <summary>The StatefulSet's visits without a shared database: any pod asks its peers, concurrently and within a bound.</summary>
public sealed class ClusterView(
    PeerDirectory directory, PeerClient client, VisitWriter writer, PodIdentity self, ClusterMetrics metrics, IOptions<ClusterOptions> options, TimeProvider time)
{
    private readonly ClusterOptions _options = options.Value;
    private volatile PeerSnapshot _last = PeerSnapshot.None;

    /// <summary>The peers as they last answered (the page shows these; it never waits on a peer).</summary>
    public PeerSnapshot LastReported => _last;

    public async Task<ClusterVisits> QueryAsync(CancellationToken cancellationToken)
    {
        var targets = directory.Targets();
        using var bound = new CancellationTokenSource(_options.FanOutTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(bound.Token, cancellationToken);
        var answers = await Task.WhenAll(targets.Select(peer => client.AskAsync(peer, linked.Token)));

        foreach (var (target, answer) in targets.Zip(answers).Where(pair => pair.Second.Ok))
        {
            directory.Learn(target.BaseAddress, answer.Pod);
        }

        var peers = answers
            .Where(answer => answer.Pod != self.Name)
            // One pod can show up twice (its old and new address after a restart): an answer beats silence.
            .GroupBy(answer => answer.Pod, StringComparer.Ordinal)
            .Select(group => group.OrderByDescending(answer => answer.Ok).First())
            .OrderBy(answer => answer.Pod, StringComparer.Ordinal)
            .ToList();
        _last = new PeerSnapshot(peers);
        metrics.ReportUnanswered(peers.Count(peer => !peer.Ok));

        var pods = peers.Append(new PodCount(self.Name, writer.CommittedTotal, true))
            .OrderBy(pod => pod.Pod, StringComparer.Ordinal)
            .ToList();
        return new ClusterVisits(pods.Where(pod => pod.Ok).Sum(pod => pod.Visits ?? 0), pods.All(pod => pod.Ok), pods);
    }
}
