using System.Diagnostics;

namespace MoscowTime.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Where the images our Dockerfiles start FROM come from, decided before podman is asked for
/// anything else: the real Microsoft images with podman's own configuration (what a user has), else
/// the stand-ins that shared/containers builds on machines that reach no registry, else one sentence
/// that says what to provide.
/// </summary>
public static class BaseImages
{
    public static readonly string[] Names = ["mcr.microsoft.com/dotnet/sdk:10.0", "mcr.microsoft.com/dotnet/runtime-deps:10.0"];

    private const string StandInLabel = "LOCAL STAND-IN";
    private static readonly TimeSpan PullTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan StandInTimeout = TimeSpan.FromMinutes(20);

    /// <returns>podman set up for the images it found or made.</returns>
    public static async Task<Podman> PrepareAsync(Action<string> log)
    {
        var plain = new Podman(containersConf: null);
        var kinds = new List<string>();
        foreach (var image in Names)
        {
            kinds.Add(await KindOfAsync(plain, image));
        }

        if (kinds.All(kind => kind == "real"))
        {
            log("real base images are in podman's store");
            return plain;
        }

        string? pullError = null;
        if (!kinds.Contains("stand-in"))
        {
            pullError = await TryPullAsync(plain, log);
            if (pullError is null)
            {
                return plain;
            }
        }

        var script = Repository.BaseImagesScript;
        if (File.Exists(script))
        {
            var configuration = StandInContainersConf();
            var clock = Stopwatch.StartNew();
            (await Command.RunAsync("bash", [script], StandInTimeout,
                new Dictionary<string, string> { ["CONTAINERS_CONF"] = configuration })).EnsureSuccess();
            log($"stand-in base images ready in {clock.Elapsed.TotalSeconds:0.0} s ({script}); podman runs with {configuration}");
            return new Podman(configuration);
        }

        throw new InvalidOperationException(
            $"The end-to-end tests build our images FROM {string.Join(" and ", Names)}, which podman " +
            (pullError is null ? "holds only as stand-ins" : $"neither holds nor can pull ({pullError})") +
            $", and the stand-in builder {script} is missing: run `podman pull {Names[0]} && podman pull {Names[1]}`, " +
            "or clone the repository with the shared/ folder beside it.");
    }

    /// <summary>Where the stand-in script writes podman's configuration: CONTAINERS_CONF if set, else under ${W:-/tmp/moscowtime-standins}.</summary>
    private static string StandInContainersConf() =>
        Environment.GetEnvironmentVariable("CONTAINERS_CONF") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetEnvironmentVariable("W") is { Length: > 0 } work ? work : "/tmp/moscowtime-standins", "containers.conf");

    private static async Task<string> KindOfAsync(Podman podman, string image)
    {
        var inspected = await podman.RunAsync(["image", "inspect", "--format", "{{json .Labels}}", image]);
        return !inspected.Succeeded ? "missing" : inspected.StandardOutput.Contains(StandInLabel, StringComparison.Ordinal) ? "stand-in" : "real";
    }

    /// <returns>null once every image is pulled, else podman's reason.</returns>
    private static async Task<string?> TryPullAsync(Podman podman, Action<string> log)
    {
        foreach (var image in Names)
        {
            var pulled = await podman.RunAsync(["pull", "--quiet", image], PullTimeout);
            if (!pulled.Succeeded)
            {
                var reason = pulled.StandardError.Trim().Split('\n').Last();
                log($"cannot pull {image}: {reason}");
                return reason;
            }
        }

        log("pulled the real base images");
        return null;
    }
}
