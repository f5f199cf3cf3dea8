using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using MoscowTime.Manifests.Tests.Rendering;
using MoscowTime.Sidecar;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Restore;
using MoscowTime.Testing;
using MoscowTime.Web;
using MoscowTime.Web.Cluster;

namespace MoscowTime.Manifests.Tests;

/// <summary>
/// The real apps, started in-process with the configuration the manifest gives their containers:
/// every probe path must answer 200, and the pod's timings must fit the apps' own.
/// </summary>
public sealed class ProbeEndpointTests
{
    /// <summary>How long a fresh app may take to answer 200: the startup probe allows far longer.</summary>
    private static readonly TimeSpan StartupAllowance = TimeSpan.FromSeconds(30);

    /// <summary>A final backup of a 10 MiB database takes well under a second.</summary>
    private static readonly TimeSpan FinalBackupAllowance = TimeSpan.FromSeconds(5);

    private static RenderedManifests Rendered => Kustomize.Render(Kustomize.Ordered);

    [Fact]
    public async Task Web_answers_every_probe_path_in_the_manifest_with_200_and_counts_no_visit()
    {
        using var data = new TempDirectory("manifest-probes-web");
        await using var web = await StartWeb(data);

        await AssertEveryProbePathAnswers200(web, "web");
        var visits = await web.Client.GetFromJsonAsync<PodVisits>("/visits");
        Assert.Equal(0, visits!.Visits);
    }

    [Fact]
    public async Task Sidecar_answers_every_probe_path_in_the_manifest_with_200()
    {
        using var data = new TempDirectory("manifest-probes-sidecar");
        await using var sidecar = await StartSidecar(data);

        await AssertEveryProbePathAnswers200(sidecar, "backup");
    }

    [Fact]
    public async Task Readyz_and_healthz_answer_the_same_json_shape_as_both_livez()
    {
        using var data = new TempDirectory("manifest-probe-shape");
        await using var web = await StartWeb(data);
        await using var sidecar = await StartSidecar(data);
        await StatusOnceStarted(web.Client, "/readyz");
        await StatusOnceStarted(sidecar.Client, "/healthz");

        var shapes = new Dictionary<string, JsonElement>
        {
            ["web /livez"] = await Json(web.Client, "/livez"),
            ["web /readyz"] = await Json(web.Client, "/readyz"),
            ["sidecar /livez"] = await Json(sidecar.Client, "/livez"),
            ["sidecar /healthz"] = await Json(sidecar.Client, "/healthz"),
        };

        foreach (var (probe, body) in shapes)
        {
            Assert.Equal((probe, JsonValueKind.Object), (probe, body.ValueKind));
            Assert.Equal((probe, "Healthy"), (probe, body.GetProperty("status").GetString()));
            Assert.Equal((probe, JsonValueKind.String), (probe, body.GetProperty("reason").ValueKind));
            var checks = body.GetProperty("checks");
            Assert.NotEmpty(checks.EnumerateObject());
            foreach (var check in checks.EnumerateObject())
            {
                Assert.Equal((probe, check.Name, "reason,status"),
                    (probe, check.Name, string.Join(",", check.Value.EnumerateObject().Select(p => p.Name).Order())));
                Assert.Equal((probe, check.Name, JsonValueKind.String), (probe, check.Name, check.Value.GetProperty("status").ValueKind));
                Assert.Equal((probe, check.Name, JsonValueKind.String), (probe, check.Name, check.Value.GetProperty("reason").ValueKind));
            }
        }

        // Each check's data is flat beside status and reason: the database path on both.
        Assert.Equal(data.File("visits.db"), shapes["web /readyz"].GetProperty("database").GetString());
        Assert.Equal(data.File("visits.db"), shapes["sidecar /healthz"].GetProperty("database").GetString());
    }

    private static async Task<JsonElement> Json(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task Restore_init_container_runs_the_restore_command_which_succeeds_on_a_fresh_volume()
    {
        using var data = new TempDirectory("manifest-restore");
        var restore = Rendered.Container("restore");

        Assert.Equal([RestoreCommand.Verb], restore.Args);
        var exitCode = await RestoreCommand.RunAsync(ManifestSettings(
            "restore", ("Backup:DatabasePath", data.File("visits.db")), ("Backup:Directory", data.File("backups"))));
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Termination_grace_covers_the_backups_pause_quiet_period_and_final_backup()
    {
        using var data = new TempDirectory("manifest-grace-sidecar");
        await using var sidecar = await StartSidecar(data);
        var quietPeriod = sidecar.Services.GetRequiredService<IOptions<BackupOptions>>().Value.FinalBackupQuietPeriod;

        var needed = StatefulSetTests.PreStopSleepSeconds(Rendered, "backup") + (quietPeriod + FinalBackupAllowance).TotalSeconds;
        Assert.True(Rendered.Pod.TerminationGracePeriodSeconds >= needed, $"grace {Rendered.Pod.TerminationGracePeriodSeconds} s, backup needs {needed} s");
    }

    [Fact]
    public async Task Peers_are_asked_on_the_port_the_web_container_declares()
    {
        using var data = new TempDirectory("manifest-peer-port");
        await using var web = await StartWeb(data);
        var peerPort = web.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.PeerPort;

        Assert.Equal(Rendered.Container("web").Ports.Single(p => p.Name == "http").ContainerPort, peerPort);
    }

    private static Task<LoopbackApp> StartWeb(TempDirectory data) =>
        LoopbackApp.StartAsync(args => WebApp.Build(args), ManifestSettings("web", ("Visits:DatabasePath", data.File("visits.db"))));

    private static Task<LoopbackApp> StartSidecar(TempDirectory data) =>
        LoopbackApp.StartAsync(
            args => SidecarApp.Build(args),
            ManifestSettings("backup", ("Backup:DatabasePath", data.File("visits.db")), ("Backup:Directory", data.File("backups"))));

    /// <summary>
    /// The container's environment (its image's ENV and the manifest's) as command-line settings, with the paths under
    /// /data moved to a temp directory. Left out: the host's own ASPNETCORE_* variables (the test
    /// host picks its port) and values the kubelet fills in (downward API, $(VAR) references).
    /// </summary>
    private static string[] ManifestSettings(string container, params (string Key, string Value)[] overrides)
    {
        var settings = Rendered.EnvironmentWithImage(Rendered.Container(container))
            .Where(variable => variable.Value is { } value && !value.Contains("$(", StringComparison.Ordinal))
            .Where(variable => !variable.Key.StartsWith("ASPNETCORE_", StringComparison.Ordinal))
            .ToDictionary(variable => variable.Key.Replace("__", ":", StringComparison.Ordinal), variable => variable.Value!);
        foreach (var (key, value) in overrides)
        {
            Assert.True(settings.ContainsKey(key), $"{container}: neither the image nor the manifest sets {key}");
            settings[key] = value;
        }

        return [.. settings.Select(setting => $"--{setting.Key}={setting.Value}")];
    }

    private static async Task AssertEveryProbePathAnswers200(LoopbackApp app, string container)
    {
        var paths = ProbeTests.HttpProbePaths(Rendered.Container(container)).ToList();

        Assert.NotEmpty(paths);
        foreach (var path in paths)
        {
            Assert.Equal((path, HttpStatusCode.OK), (path, await StatusOnceStarted(app.Client, path)));
        }
    }

    private static Task<HttpStatusCode> StatusOnceStarted(HttpClient client, string path) =>
        Poll.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync(path);
                return response.StatusCode;
            },
            status => status == HttpStatusCode.OK,
            StartupAllowance,
            $"{path} to answer 200 once started");

    private sealed record PodVisits(string Pod, long Visits);
}
