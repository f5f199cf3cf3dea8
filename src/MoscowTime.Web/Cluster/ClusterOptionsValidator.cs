using MoscowTime.ServiceDefaults;

namespace MoscowTime.Web.Cluster;

/// <summary>Fails start-up with one line per mistake, each naming its key.</summary>
public sealed class ClusterOptionsValidator : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        var failures = new List<string>();
        OptionRange.Check(failures, "Cluster:PeerPort", options.PeerPort, 1, 65535);
        failures.AddRange(options.Peers.Where(peer => !Uri.TryCreate(peer, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            .Select(peer => $"Cluster:Peers entry '{peer}' is not an absolute http(s) URL"));

        if (options.PeerDns is { Length: > 0 } dns && Uri.CheckHostName(dns) == UriHostNameType.Unknown)
        {
            failures.Add($"Cluster:PeerDns '{dns}' is not a host name");
        }

        if (options.FanOutTimeout <= options.PeerTimeout)
        {
            failures.Add($"Cluster:FanOutTimeout ({options.FanOutTimeout}) must be longer than Cluster:PeerTimeout ({options.PeerTimeout})");
        }

        failures.AddRange(new (string Key, TimeSpan Value)[]
        {
            (nameof(options.RefreshInterval), options.RefreshInterval), (nameof(options.PeerTimeout), options.PeerTimeout),
            (nameof(options.FanOutTimeout), options.FanOutTimeout), (nameof(options.ForgetAfter), options.ForgetAfter),
            (nameof(options.BreakDuration), options.BreakDuration),
        }.Where(option => option.Value <= TimeSpan.Zero).Select(option => $"Cluster:{option.Key} must be positive, not {option.Value}"));

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
