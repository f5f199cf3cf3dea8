using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>
/// The disaster-recovery drill with real processes: the web app, the sidecar and restore as
/// separate programs, credentials from the environment as in Kubernetes, a real s3rver.
/// </summary>
public sealed class RemoteDrillTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _dir = new("remote-drill");
    private RemoteStore _store = null!;

    private string Data => _dir.File("data");
    private string Database => Path.Combine(Data, "visits.db");
    private string Backups => Path.Combine(Data, "backups");

    /// <summary>What the Secret moscow-time-backup-remote and the downward API put in the environment.</summary>
    private static Dictionary<string, string> Environment => new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3Server.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = RemoteStore.Secret,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["POD_NAME"] = RemoteStore.Pod,
    };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Data);
        _store = await RemoteStore.StartAsync(_dir);
    }

    [Fact]
    public async Task Visits_then_every_commit_shipped_then_the_volume_wiped_then_restore_gives_back_the_same_count()
    {
        long visits;
        string health;
        var outputs = new List<string>();
        await using (var web = await StartWebAsync())
        await using (var sidecar = await StartSidecarAsync())
        {
            using var client = new HttpClient { BaseAddress = web.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            await UntilReadyAsync(client);
            for (var i = 0; i < 25; i++)
            {
                (await client.GetAsync("/")).EnsureSuccessStatusCode();
            }

            visits = (await client.GetFromJsonAsync<PodVisits>("/visits"))!.Visits;
            using var probe = new HttpClient { BaseAddress = sidecar.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            health = await Poll.UntilAsync(() => HealthAsync(probe), CaughtUp, Patience, $"the store to hold every commit of the {visits} visits");

            web.Terminate();
            sidecar.Terminate();
            await web.WaitForExitAsync(Patience);
            await sidecar.WaitForExitAsync(Patience);
            outputs.AddRange([web.Output, sidecar.Output]);
        }

        Directory.Delete(Data, recursive: true);
        Directory.CreateDirectory(Data);
        await using (var restore = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: false, Environment,
            ["restore", .. Settings()]))
        {
            Assert.True(await restore.WaitForExitAsync(Patience) == 0, restore.Output);
            outputs.Add(restore.Output);
        }

        await using (var web = await StartWebAsync())
        {
            using var client = new HttpClient { BaseAddress = web.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            await UntilReadyAsync(client);
            Assert.Equal(visits, (await client.GetFromJsonAsync<PodVisits>("/visits"))!.Visits);
        }

        Assert.All([.. outputs, health], text => Assert.DoesNotContain(RemoteStore.Secret, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_store_down_visits_and_local_backups_go_on_healthz_says_why_and_all_recovers_by_itself()
    {
        await using var web = await StartWebAsync();
        await using var sidecar = await StartSidecarAsync("--Backup:MaxAge=00:00:02");
        using var client = new HttpClient { BaseAddress = web.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var probe = new HttpClient { BaseAddress = sidecar.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await UntilReadyAsync(client);
        (await client.GetAsync("/")).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => HealthAsync(probe), CaughtUp, Patience, "the first visit shipped");

        _store.Server.Stop();
        var backupsBefore = Directory.GetFiles(Backups, "visits-*.db").Length;
        var down = await Poll.UntilAsync(async () =>
        {
            (await client.GetAsync("/")).EnsureSuccessStatusCode();
            using var response = await probe.GetAsync("/healthz");
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }, health => health.StatusCode == HttpStatusCode.ServiceUnavailable, Patience, "/healthz to report the shipping lag");

        var reason = JsonDocument.Parse(down.Body).RootElement.GetProperty("reason").GetString();
        Assert.Contains("remote shipping lags", reason, StringComparison.Ordinal);
        Assert.Contains($"{_store.Server.Endpoint} cannot be reached", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("the last backup attempt failed", reason, StringComparison.Ordinal);
        Assert.True(Directory.GetFiles(Backups, "visits-*.db").Length > backupsBefore, "local backups went on while the store was down");

        await _store.Server.StartAgainAsync();
        (await client.GetAsync("/")).EnsureSuccessStatusCode();
        await Poll.UntilAsync(() => HealthAsync(probe), CaughtUp, Patience, "every commit shipped once the store is back");
        using var healthy = await probe.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.DoesNotContain(RemoteStore.Secret, sidecar.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_refuses_to_start_at_zero_when_the_store_cannot_be_asked()
    {
        _store.Server.Stop();

        await using var restore = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: false, Environment,
            ["restore", .. Settings()]);

        Assert.Equal(1, await restore.WaitForExitAsync(Patience));
        Assert.False(File.Exists(Database));
        var line = Assert.Single(restore.Output.Split('\n'), l => l.Contains("Refusing to let the web app start from zero", StringComparison.Ordinal));
        Assert.Contains($"{_store.Server.Endpoint} cannot be reached", line, StringComparison.Ordinal);
        Assert.DoesNotContain(RemoteStore.Secret, restore.Output, StringComparison.Ordinal);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private string[] Settings() =>
        [$"--Backup:DatabasePath={Database}", $"--Backup:Directory={Backups}", .. _store.Args(pod: null)];

    private Task<ChildProcess> StartWebAsync() =>
        ChildProcess.StartAsync(ChildProcess.WebApp, _dir.Path, listens: true,
            "--urls", "http://127.0.0.1:0", $"--Visits:DatabasePath={Database}", $"--POD_NAME={RemoteStore.Pod}");

    private Task<ChildProcess> StartSidecarAsync(params string[] args) =>
        ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: true, Environment,
            ["--urls", "http://127.0.0.1:0", "--Backup:Interval=00:00:00.200", "--Backup:FinalBackupQuietPeriod=00:00:00.200",
                "--Backup:Remote:AttemptTimeout=00:00:02", .. Settings(), .. args]);

    /// <summary>The store holds every commit the sidecar has seen: no lag.</summary>
    private static bool CaughtUp(string health) =>
        JsonDocument.Parse(health).RootElement is var body && body.GetProperty("remoteLagSeconds").GetDouble() == 0
        && body.GetProperty("remoteChain").ValueKind == JsonValueKind.String;

    /// <summary>/healthz's body, whether it answers 200 or 503 (the remote may be stale while the first upload runs).</summary>
    private static async Task<string> HealthAsync(HttpClient probe)
    {
        using var response = await probe.GetAsync("/healthz");
        return await response.Content.ReadAsStringAsync();
    }

    private static Task<HttpStatusCode> UntilReadyAsync(HttpClient client) =>
        Poll.UntilAsync(async () => (await client.GetAsync("/readyz")).StatusCode, status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "the web app to get ready");

    private sealed record PodVisits(string Pod, long Visits);
}
