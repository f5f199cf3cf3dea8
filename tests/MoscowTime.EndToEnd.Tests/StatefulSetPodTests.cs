using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MoscowTime.EndToEnd.Tests.Pods;
using Xunit.Abstractions;

namespace MoscowTime.EndToEnd.Tests;

/// <summary>
/// The StatefulSet's pods, translated from the rendered manifest into podman pods and run from the
/// images our Dockerfiles build: what `kubectl apply -k kustomize/overlays/parallel` would run.
/// </summary>
[Collection(PodmanTests.Name)]
public sealed class StatefulSetPodTests(ContainerImages images, ITestOutputHelper output) : IDisposable
{
    /// <summary>The README's "how many visits" query.</summary>
    private const string VisitCountQuery = "SELECT SUM(visits) FROM visit_hours;";

    private const long AppUid = 1654;

    /// <summary>
    /// The one setting the test changes: the manifests' five-minute backup interval would make
    /// every wait for a fresh backup a five-minute wait.
    /// </summary>
    private static readonly TimeSpan BackupInterval = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Both_pods_become_ready_and_each_counts_exactly_the_visits_it_served()
    {
        await using var pods = await StartPodsAsync(0, 1);

        var served = await VisitRoundRobinAsync([.. pods.Pods.Select(pod => pod.Plan.Address("web"))], requests: 1000);

        Assert.Equal([500, 500], served);
        long total = 0;
        for (var ordinal = 0; ordinal < pods.Pods.Count; ordinal++)
        {
            var pod = pods[ordinal];
            var reply = await _http.GetFromJsonAsync<VisitsReply>(new Uri(pod.Plan.Address("web"), "visits"), Json);
            Assert.Equal(new VisitsReply(pod.Name, served[ordinal]), reply);
            Assert.Equal(served[ordinal], await CountWithSqliteShellAsync(pod, "/data/visits.db"));
            total += reply!.Visits;
        }

        Assert.Equal(1000, total);
    }

    [Fact]
    public async Task Sidecar_reports_healthy_once_a_verified_backup_is_on_the_volume()
    {
        await using var pods = await StartPodsAsync(0);
        var pod = pods[0];
        await VisitAsync(pod, 25);

        var backup = await WaitForBackupWithAsync(pod, visits: 25);

        Assert.Equal("ok", (await pod.ExecAsync("backup", "sqlite3", ReadOnly(backup), "PRAGMA integrity_check;")).EnsureSuccess().StandardOutput.Trim());
        var health = await WaitForAsync(async () =>
        {
            using var response = await _http.GetAsync(new Uri(pod.Plan.Address("backup"), "healthz"));
            return response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadAsStringAsync() : null;
        }, TimeSpan.FromSeconds(60), "the sidecar's /healthz to answer 200");
        output.WriteLine($"{pod.Name} backup /healthz: {health}");
    }

    [Fact]
    public async Task Processes_run_as_the_app_user_and_can_write_only_to_data_and_tmp()
    {
        await using var pods = await StartPodsAsync(0);
        var pod = pods[0];

        foreach (var container in pod.Plan.Running)
        {
            var processes = (await images.Podman.CheckAsync("top", container.PodmanName, "huser", "args")).Split('\n').Skip(1).ToList();
            Assert.NotEmpty(processes);
            Assert.All(processes, process => Assert.StartsWith($"{AppUid} ", process.Trim(), StringComparison.Ordinal));

            // find -writable asks access(2), which also answers "no" on a read-only mount.
            var report = (await pod.ExecAsync(container.Name, "sh", "-c",
                """
                echo "uid $(id -u) gid $(id -g)"
                grep -E '^(CapEff|NoNewPrivs):' /proc/self/status
                find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o -writable -print 2>/dev/null \
                  | grep -vE '^/(data|tmp)(/|$)' | sed 's/^/writable: /'
                touch /data/.e2e-write-probe /tmp/.e2e-write-probe && rm /data/.e2e-write-probe /tmp/.e2e-write-probe && echo "data and tmp take writes"
                """)).EnsureSuccess().StandardOutput;
            output.WriteLine($"{container.PodmanName}:\n{report}");

            Assert.Contains($"uid {AppUid} gid {AppUid}", report, StringComparison.Ordinal);
            Assert.Matches(@"CapEff:\s+0+\n", report);
            Assert.Matches(@"NoNewPrivs:\s+1\n", report);
            Assert.DoesNotContain("writable:", report, StringComparison.Ordinal);
            Assert.Contains("data and tmp take writes", report, StringComparison.Ordinal);
        }

        foreach (var container in pod.Plan.Containers.Where(c => c.IsInit))
        {
            Assert.Equal($"{AppUid}:{AppUid}", await images.Podman.CheckAsync("inspect", "--format", "{{.Config.User}}", container.PodmanName));
            Assert.Equal("true", await images.Podman.CheckAsync("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", container.PodmanName));
        }
    }

    [Fact]
    public async Task Restarted_pod_keeps_its_count_and_gets_a_lost_or_damaged_database_back_from_the_newest_backup()
    {
        const string damage = "moscow-time e2e: this is not a SQLite database";
        await using var pods = await StartPodsAsync(0);
        var pod = pods[0];
        await VisitAsync(pod, 40);
        await WaitForBackupWithAsync(pod, visits: 40);

        await StopAsync(pod);
        await StartAsync(pod, "SIGTERM, then start");
        Assert.Equal(40, await VisitsAsync(pod));

        await StopAsync(pod);
        await pod.ShellOnVolumeAsync("rm /data/visits.db");
        await StartAsync(pod, "visits.db deleted");
        Assert.Equal(40, await VisitsAsync(pod));

        await StopAsync(pod);
        await pod.ShellOnVolumeAsync($"yes '{damage}' | head -c 8192 | dd of=/data/visits.db conv=notrunc status=none");
        await StartAsync(pod, "visits.db overwritten with garbage");
        Assert.Equal(40, await VisitsAsync(pod));
        var keptAside = (await pod.ExecAsync("web", "grep", "-rlF", damage, "/data")).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(keptAside, file => file != "/data/visits.db");
        output.WriteLine($"damaged file kept aside: {string.Join(", ", keptAside)}");
    }

    public void Dispose() => _http.Dispose();

    private async Task<StatefulSetPods> StartPodsAsync(params int[] ordinals)
    {
        var options = new TranslationOptions(
            images.ByManifestName,
            new Dictionary<string, IReadOnlyDictionary<string, string>>
            {
                ["backup"] = new Dictionary<string, string> { ["Backup__Interval"] = BackupInterval.ToString("c", CultureInfo.InvariantCulture) },
            });
        var pods = await StatefulSetPods.CreateAsync(images.Podman, images.Rendered, options, ordinals);
        try
        {
            var times = await pods.StartAsync();
            for (var i = 0; i < times.Count; i++)
            {
                output.WriteLine($"{pods[i].Name} ready {times[i].TotalSeconds:0.00} s after `podman pod start` ({(pods.Parallel ? "Parallel" : "OrderedReady")})");
            }

            return pods;
        }
        catch
        {
            await pods.DisposeAsync();
            throw;
        }
    }

    /// <summary>Deletes the pod as Kubernetes does (preStop, SIGTERM); every container must exit 0.</summary>
    private async Task StopAsync(PodmanPod pod)
    {
        var clock = Stopwatch.StartNew();
        var exitCodes = await pod.StopAsync();
        output.WriteLine($"{pod.Name} stopped in {clock.Elapsed.TotalSeconds:0.0} s (preStop hooks included)");
        Assert.All(exitCodes, exit => Assert.True(exit.Value == 0, $"{pod.Name}-{exit.Key} exited with {exit.Value} on SIGTERM"));
    }

    private async Task StartAsync(PodmanPod pod, string why)
    {
        var ready = await pod.StartAsync();
        output.WriteLine($"{pod.Name} ready {ready.TotalSeconds:0.00} s after `podman pod start` ({why})");
        foreach (var init in pod.Plan.Containers.Where(c => c.IsInit))
        {
            var since = pod.LastStarted.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var logs = await images.Podman.RunAsync(["logs", "--since", since, init.PodmanName]);
            output.WriteLine($"  {init.PodmanName}: {logs.StandardOutput.Trim()}{logs.StandardError.Trim()}");
        }
    }

    /// <summary>GET / round-robin over the pods' web ports, eight at a time.</summary>
    /// <returns>How many visits each pod served.</returns>
    private async Task<long[]> VisitRoundRobinAsync(IReadOnlyList<Uri> pods, int requests)
    {
        var served = new long[pods.Count];
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await Parallel.ForEachAsync(
            Enumerable.Range(0, requests),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = deadline.Token },
            async (request, cancellation) =>
            {
                var pod = request % pods.Count;
                using var response = await _http.GetAsync(pods[pod], cancellation);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Interlocked.Increment(ref served[pod]);
            });
        return served;
    }

    private async Task VisitAsync(PodmanPod pod, int visits) => await VisitRoundRobinAsync([pod.Plan.Address("web")], visits);

    private async Task<long> VisitsAsync(PodmanPod pod) =>
        (await _http.GetFromJsonAsync<VisitsReply>(new Uri(pod.Plan.Address("web"), "visits"), Json))!.Visits;

    /// <summary>`kubectl exec moscow-time-N -c web -- sqlite3 /data/visits.db '…'`, in podman.</summary>
    private static async Task<long> CountWithSqliteShellAsync(PodmanPod pod, string database) =>
        long.Parse((await pod.ExecAsync("web", "sqlite3", database, VisitCountQuery)).EnsureSuccess().StandardOutput.Trim(), CultureInfo.InvariantCulture);

    /// <summary>Waits for the newest backup on the volume to hold <paramref name="visits"/> visits.</summary>
    /// <returns>Its path inside the pod.</returns>
    private async Task<string> WaitForBackupWithAsync(PodmanPod pod, long visits)
    {
        var backup = await WaitForAsync(async () =>
        {
            var newest = (await pod.ExecAsync("backup", "sh", "-c",
                "find /data/backups -maxdepth 1 -type f ! -name '*-wal' ! -name '*-shm' ! -name '*-journal' ! -name '*.tmp' -printf '%T@ %p\\n' 2>/dev/null | sort -rn | head -1 | cut -d' ' -f2-"))
                .StandardOutput.Trim();
            if (newest.Length == 0)
            {
                return null;
            }

            var count = await pod.ExecAsync("backup", "sqlite3", ReadOnly(newest), VisitCountQuery);
            return count.Succeeded && count.StandardOutput.Trim() == visits.ToString(CultureInfo.InvariantCulture) ? newest : null;
        }, (BackupInterval * 3) + TimeSpan.FromSeconds(60), $"a backup holding {visits} visits in {pod.Name}'s /data/backups");
        output.WriteLine($"{pod.Name} newest backup: {backup}");
        return backup;
    }

    /// <summary>Opens a backup without creating -shm or -wal files beside it.</summary>
    private static string ReadOnly(string path) => $"file:{path}?immutable=1";

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> attempt, TimeSpan budget, string what)
        where T : class =>
        (await Poll.UntilAsync<T?>(attempt, result => result is not null, budget, what))!;

    private sealed record VisitsReply(string Pod, long Visits);
}
