namespace MoscowTime.Web.Cluster;

/// <summary>Configuration section <c>Cluster</c>: how this pod finds the others.</summary>
public sealed class ClusterOptions
{
    public const string Section = "Cluster";

    /// <summary>The headless Service's name, e.g. moscow-time.default.svc.cluster.local; its A records are the ready pods.</summary>
    public string? PeerDns { get; set; }

    /// <summary>Static peer base URLs (local runs, tests), e.g. http://127.0.0.1:8082.</summary>
    public List<string> Peers { get; set; } = [];

    /// <summary>The web port on the addresses <see cref="PeerDns"/> resolves to.</summary>
    public int PeerPort { get; set; } = 8080;

    /// <summary>How often peers are re-resolved and asked for their counts in the background.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>One attempt at one peer; there is one retry.</summary>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The bound on the whole fan-out, retry included: the most a peer that is down adds to a request.</summary>
    public TimeSpan FanOutTimeout { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a peer's circuit stays open after its calls failed, before it is asked again.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a pod that left DNS is still listed (as not ok) before it counts as scaled away.</summary>
    public TimeSpan ForgetAfter { get; set; } = TimeSpan.FromMinutes(5);
}
