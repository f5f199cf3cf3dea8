using System.Text.Json.Serialization;

namespace MoscowTime.Web.Cluster;

/// <summary>One pod's line in the cluster view; a peer that did not answer has no count and says why.</summary>
public sealed record PodCount(
    string Pod,
    long? Visits,
    bool Ok,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null);

/// <summary>The body of /visits/cluster: complete only when every known pod answered.</summary>
public sealed record ClusterVisits(long Total, bool Complete, IReadOnlyList<PodCount> Pods);
