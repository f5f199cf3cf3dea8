using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace MoscowTime.Web.Cluster;

/// <summary>Configuration section <c>Cluster</c>: how this pod finds the others.</summary>
public sealed class ClusterOptions : IValidatableObject
{
    public const string Section = "Cluster";

    /// <summary>The headless Service's name, e.g. moscow-time.default.svc.cluster.local; its A records are the ready pods.</summary>
    public string? PeerDns { get; set; }

    /// <summary>Static peer base URLs (local runs, tests), e.g. http://127.0.0.1:8082.</summary>
    public List<string> Peers { get; set; } = [];

    /// <summary>The web port on the addresses <see cref="PeerDns"/> resolves to.</summary>
    [Range(1, 65535, ErrorMessage = "Cluster:PeerPort must be between {1} and {2}")]
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

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var peer in Peers)
        {
            if (!Uri.TryCreate(peer, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                yield return new ValidationResult($"Cluster:Peers entry '{peer}' is not an absolute http(s) URL", [nameof(Peers)]);
            }
        }

        if (PeerDns is { Length: > 0 } dns && Uri.CheckHostName(dns) == UriHostNameType.Unknown)
        {
            yield return new ValidationResult($"Cluster:PeerDns '{dns}' is not a host name", [nameof(PeerDns)]);
        }

        if (FanOutTimeout <= PeerTimeout)
        {
            yield return new ValidationResult($"Cluster:FanOutTimeout ({FanOutTimeout}) must be longer than Cluster:PeerTimeout ({PeerTimeout})", [nameof(FanOutTimeout)]);
        }

        foreach (var (name, value) in new[]
        {
            (nameof(RefreshInterval), RefreshInterval), (nameof(PeerTimeout), PeerTimeout),
            (nameof(FanOutTimeout), FanOutTimeout), (nameof(ForgetAfter), ForgetAfter),
            (nameof(BreakDuration), BreakDuration),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                yield return new ValidationResult($"Cluster:{name} must be positive, not {value}", [name]);
            }
        }
    }
}

/// <summary>The attributes above, checked by code generated at build time: no reflection, so it works under Native AOT.</summary>
[OptionsValidator]
public sealed partial class ClusterOptionsAttributes : IValidateOptions<ClusterOptions>;
