using System.Diagnostics;
using MoscowTime.EndToEnd.Tests.Infrastructure;
using MoscowTime.EndToEnd.Tests.Manifests;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace MoscowTime.EndToEnd.Tests;

[CollectionDefinition(Name)]
public sealed class PodmanTests : ICollectionFixture<ContainerImages>
{
    public const string Name = "podman";
}

/// <summary>
/// Once per test run: the base images (real or stand-in, see <see cref="BaseImages"/>), both images
/// from our Dockerfiles, and the overlay as `kubectl kustomize` renders it.
/// </summary>
public sealed class ContainerImages(IMessageSink diagnostics) : IAsyncLifetime
{
    public const string Web = "localhost/moscow-time-web:e2e";
    public const string Sidecar = "localhost/moscow-time-sidecar:e2e";
    public const string Overlay = "parallel";

    private static readonly string[] RequiredTools = ["podman", "runc", "slirp4netns", "catatonit", "kubectl"];

    public Podman Podman { get; private set; } = null!;

    public RenderedStatefulSet Rendered { get; private set; } = null!;

    /// <summary>The image names the manifests use (set through Kustomize's images:) → what we built.</summary>
    public IReadOnlyDictionary<string, string> ByManifestName { get; } = new Dictionary<string, string>
    {
        ["moscow-time-web"] = Web,
        ["moscow-time-sidecar"] = Sidecar,
    };

    public async Task InitializeAsync()
    {
        RequireTools();
        Podman = await BaseImages.PrepareAsync(Log);
        Log((await Podman.CheckAsync("--version")).Trim());
        await BuildAsync("Dockerfile.web", Web);
        await BuildAsync("Dockerfile.sidecar", Sidecar);
        // Builds leave their build stages behind untagged (~140 MB each). This run's are tagged
        // (BuildAsync) and so survive as the next run's layer cache; older ones go.
        await Podman.RunAsync(["image", "prune", "--force"]);
        Rendered = await RenderedStatefulSet.RenderAsync(Repository.Overlay(Overlay));
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private static void RequireTools()
    {
        // catatonit is only a Recommends of Debian's podman, yet `podman pod create` needs it to
        // build the pod's infra (pause) image.
        var missing = RequiredTools.Where(tool => !IsOnPath(tool)).ToList();
        if (missing.Count > 0)
        {
            var who = Environment.GetEnvironmentVariable("CI") == "true" ? "CI must install them (.ci/run)" : "install them";
            throw new InvalidOperationException(
                $"The end-to-end tests build the images and run the pods in podman, but {string.Join(", ", missing)} " +
                $"cannot be found: {who}, e.g. `apt-get install -y podman runc slirp4netns catatonit debootstrap` plus kubectl (see the README's test prerequisites).");
        }
    }

    private static bool IsOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/libexec/podman")
            .Any(directory => File.Exists(Path.Combine(directory, tool)));

    private async Task BuildAsync(string dockerfile, string tag)
    {
        var clock = Stopwatch.StartNew();
        await PodmanBuildAsync(dockerfile, tag);
        Log($"{dockerfile} → {tag} built in {clock.Elapsed.TotalSeconds:0.0} s");

        // Every step is cached by now: this only names the build stage, so that pruning keeps it.
        await PodmanBuildAsync(dockerfile, $"{tag}-build", target: "build");
    }

    private async Task PodmanBuildAsync(string dockerfile, string tag, string? target = null)
    {
        List<string> arguments = ["build", "--pull=never", "--network", "host", "--file", Path.Combine(Repository.Root, dockerfile), "--tag", tag];
        if (target is not null)
        {
            arguments.AddRange(["--target", target]);
        }

        (await Podman.RunAsync([.. arguments, Repository.Root], TimeSpan.FromMinutes(10))).EnsureSuccess();
    }

    private void Log(string message) => diagnostics.OnMessage(new DiagnosticMessage($"[e2e] {message}"));
}
