namespace MoscowTime.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The podman CLI with this machine's settings: every call carries CONTAINERS_CONF (runc, modest
/// ulimits, slirp4netns), written by the shared base-image script; see shared/containers.md.
/// </summary>
public sealed class Podman
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);
    private readonly Dictionary<string, string> _environment;

    public Podman(string containersConf) => _environment = new() { ["CONTAINERS_CONF"] = containersConf };

    /// <summary>Where the shared script writes the configuration: CONTAINERS_CONF if set, else under ${W:-/tmp/moscowtime-standins}.</summary>
    public static string DefaultContainersConf =>
        System.Environment.GetEnvironmentVariable("CONTAINERS_CONF") is { Length: > 0 } configured
            ? configured
            : Path.Combine(System.Environment.GetEnvironmentVariable("W") is { Length: > 0 } work ? work : "/tmp/moscowtime-standins", "containers.conf");

    public IReadOnlyDictionary<string, string> Variables => _environment;

    public Task<CommandResult> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        Command.RunAsync("podman", arguments, timeout ?? DefaultTimeout, _environment);

    /// <summary>Runs podman and returns its trimmed output, or throws with its error output.</summary>
    public async Task<string> CheckAsync(params string[] arguments) =>
        (await RunAsync(arguments)).EnsureSuccess().StandardOutput.Trim();

    public async Task<bool> ExistsAsync(string kind, string name) =>
        (await RunAsync([kind, "exists", name])).Succeeded;
}
