namespace MoscowTime.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The podman CLI, with the configuration its base images need: none of ours for the real images,
/// the stand-in script's CONTAINERS_CONF (runc, modest ulimits, slirp4netns) for the stand-ins; see
/// shared/containers.md and <see cref="BaseImages"/>.
/// </summary>
public sealed class Podman(string? containersConf)
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);
    private readonly Dictionary<string, string> _environment =
        containersConf is null ? [] : new() { ["CONTAINERS_CONF"] = containersConf };

    public Task<CommandResult> RunAsync(IEnumerable<string> arguments, TimeSpan? timeout = null) =>
        Command.RunAsync("podman", arguments, timeout ?? DefaultTimeout, _environment);

    /// <summary>Runs podman and returns its trimmed output, or throws with its error output.</summary>
    public async Task<string> CheckAsync(params string[] arguments) =>
        (await RunAsync(arguments)).EnsureSuccess().StandardOutput.Trim();

    public async Task<bool> ExistsAsync(string kind, string name) =>
        (await RunAsync([kind, "exists", name])).Succeeded;
}
