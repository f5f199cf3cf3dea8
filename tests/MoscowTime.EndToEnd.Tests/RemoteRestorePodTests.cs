using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MoscowTime.EndToEnd.Tests.Manifests;
using MoscowTime.EndToEnd.Tests.Pods;
using Xunit.Abstractions;

namespace MoscowTime.EndToEnd.Tests;

/// <summary>
/// The disaster-recovery drill in real containers: a site overlay with
/// kustomize/components/remote-backup, s3rver on the host, the pod and its volume removed, a fresh
/// volume, and the init container brings every visit but those of the last second or two back from the store.
/// </summary>
/// <remarks>
/// The pod reaches s3rver (on the host's 127.0.0.1) through slirp4netns' host-loopback gateway,
/// 10.0.2.2, which exists only inside the pod's network namespace. The Secret's two keys are set
/// as the kubelet would set them from it; everything else comes from the rendered component.
/// </remarks>
[Collection(PodmanTests.Name)]
public sealed class RemoteRestorePodTests(ContainerImages images, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string HostLoopbackFromPod = "10.0.2.2";
    private const string Secret = "e2e-secret-that-must-not-be-logged";
    private const string PodFolder = "e2e/moscow-time-0/";
    private static readonly TimeSpan BackupInterval = TimeSpan.FromSeconds(5);

    /// <summary>Enough concurrent visits for the pod's memory to reach its working peak, bounded in count.</summary>
    private const int Visits = 3200;
    private const int Clients = 16;
    private const int VisitsPerClient = Visits / Clients;
    private const int QuietVisits = 30;

    /// <summary>What a lost volume may lose: the last second or two.</summary>
    private static readonly TimeSpan RecoveryPoint = TimeSpan.FromSeconds(2);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly TempDirectory _dir = new("e2e-remote");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private S3Server _store = null!;

    public async Task InitializeAsync() => _store = await S3Server.StartAsync(_dir.File("s3"));

    [Fact]
    public async Task A_pod_under_load_at_its_memory_limits_killed_two_seconds_after_its_last_visit_and_its_volume_gone_gets_every_visit_back_from_the_store()
    {
        var rendered = await RenderSiteAsync();
        await using (var pod = await CreateAsync(rendered))
        {
            await StartAsync(pod, "first start, empty volume");
            await Poll.UntilAsync(() => _store.Keys(PodFolder).Any(key => key.Contains("/snapshot", StringComparison.Ordinal)),
                TimeSpan.FromSeconds(90), "the chain's first snapshot in s3rver", () => string.Join(", ", _store.Keys(PodFolder)));
            // Concurrent visits while every commit ships: the containers must hold at the manifests' memory limits.
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
            {
                for (var i = 0; i < VisitsPerClient; i++)
                {
                    (await _http.GetAsync(pod.Plan.Address("web"))).EnsureSuccessStatusCode();
                }
            }));
            foreach (var container in pod.Plan.Running)
            {
                var state = await images.Podman.CheckAsync("inspect", "--format", "{{.State.Running}} {{.State.OOMKilled}} {{.RestartCount}}", container.PodmanName);
                Assert.True(state.Trim() == "true false 0", $"{container.Name} after the load (running, OOM-killed, restarts): {state.Trim()}\n{await pod.LogsAsync()}");
            }

            // A graceful stop ships what is left and keeps the volume; the restarted sidecar continues the chain. The last
            // visits then come one by one, as most sites see them, and the pod is killed 2 s after the last.
            var exits = await pod.StopAsync();
            var logs = await pod.LogsAsync();
            Assert.All(exits, exit => Assert.True(exit.Value == 0, $"{exit.Key} exited {exit.Value} after the load\n{logs}"));
            await StartAsync(pod, "restarted after the load");
            for (var i = 0; i < QuietVisits; i++)
            {
                (await _http.GetAsync(pod.Plan.Address("web"))).EnsureSuccessStatusCode();
            }

            // No waiting for an upload: what shipping promises is that a commit is in the store within the sync interval
            // (1 s in the component) plus the upload's own time.
            await Task.Delay(RecoveryPoint);
            output.WriteLine($"objects: {string.Join(", ", _store.Keys(PodFolder))}");
            Assert.DoesNotContain(Secret, await pod.LogsAsync(200), StringComparison.Ordinal);
        }

        // Disposing killed the pod's containers (SIGKILL, no grace) and removed its volume: a lost node and its disk.
        await using (var pod = await CreateAsync(rendered))
        {
            Assert.Empty((await pod.ShellOnVolumeAsync("ls -A /data")).Trim());
            await StartAsync(pod, "fresh volume");

            var reply = await _http.GetFromJsonAsync<VisitsReply>(new Uri(pod.Plan.Address("web"), "visits"), Json);
            Assert.Equal(new VisitsReply(pod.Name, Visits + QuietVisits), reply);
            var restoreLog = await images.Podman.CheckAsync("logs", pod.Plan.Container("restore").PodmanName);
            Assert.Contains($"{PodFolder}chain-", restoreLog, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, restoreLog, StringComparison.Ordinal);
        }
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose()
    {
        _http.Dispose();
        _dir.Dispose();
    }

    /// <summary>The parallel overlay plus the component, with the site's settings pointing at s3rver.</summary>
    private async Task<RenderedStatefulSet> RenderSiteAsync()
    {
        var kustomize = Repository.CopyKustomizeTo(_dir.Path);
        var site = Path.Combine(kustomize, "sites", "e2e");
        Directory.CreateDirectory(site);
        await File.WriteAllTextAsync(Path.Combine(site, "kustomization.yaml"), $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - ../../overlays/{ContainerImages.Overlay}
            components:
              - ../../components/remote-backup
            patches:
              - patch: |-
                  apiVersion: v1
                  kind: ConfigMap
                  metadata:
                    name: moscow-time-backup-remote
                  data:
                    Backup__Remote__Url: s3://{S3Server.Bucket}/e2e
                    Backup__Remote__Endpoint: http://{HostLoopbackFromPod}:{_store.Port}
                    AWS_REGION: us-east-1
            """);
        var rendered = await RenderedStatefulSet.RenderAsync(site);
        foreach (var container in (rendered.PodSpec.InitContainers ?? []).Concat(rendered.PodSpec.Containers))
        {
            // The Secret becomes the two variables below, as the kubelet would resolve it.
            container.EnvFrom = container.EnvFrom?.Where(source => source.SecretRef is null).ToList();
        }

        return rendered;
    }

    private async Task<PodmanPod> CreateAsync(RenderedStatefulSet rendered)
    {
        var credentials = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = S3Server.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = Secret,
        };
        var options = new TranslationOptions(images.ByManifestName, new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["restore"] = credentials,
            ["backup"] = new Dictionary<string, string>(credentials)
            {
                ["Backup__Interval"] = BackupInterval.ToString("c", CultureInfo.InvariantCulture),
            },
        });
        var plan = PodTemplateTranslator.Plan(rendered, 0, options);
        plan = plan with
        {
            CreateArguments = [.. plan.CreateArguments.Select(a => a == "slirp4netns" ? "slirp4netns:allow_host_loopback=true" : a)],
        };
        return await PodmanPod.CreateAsync(images.Podman, plan);
    }

    private async Task StartAsync(PodmanPod pod, string why)
    {
        var ready = await pod.StartAsync();
        output.WriteLine($"{pod.Name} ready {ready.TotalSeconds:0.00} s after `podman pod start` ({why})");
        var restore = await images.Podman.RunAsync(["logs", pod.Plan.Container("restore").PodmanName]);
        output.WriteLine($"  restore: {restore.StandardOutput.Trim()}{restore.StandardError.Trim()}");
    }

    private sealed record VisitsReply(string Pod, long Visits);
}
