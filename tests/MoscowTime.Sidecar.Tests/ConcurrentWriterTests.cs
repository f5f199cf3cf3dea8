using System.Net;
using System.Net.Http.Json;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class ConcurrentWriterTests : IDisposable
{
    private static readonly TimeSpan LoadDuration = TimeSpan.FromSeconds(4);
    private const int MaxRequests = 100_000;

    private readonly TempDirectory _dir = new("backup-under-load");

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    [Fact]
    public async Task Backups_taken_while_the_web_app_writes_at_full_speed_are_all_valid_and_never_go_back()
    {
        await using var web = await ChildProcess.StartAsync(ChildProcess.WebApp, _dir.Path, listens: true,
            "--urls", "http://127.0.0.1:0", $"--Visits:DatabasePath={Database}", "--POD_NAME=backup-test");
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 })
        {
            BaseAddress = web.BaseAddress,
            Timeout = TimeSpan.FromSeconds(10),
        };
        await UntilReadyAsync(client);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, time: null,
            "--Backup:Interval=00:00:00.200", "--Backup:Retain=1000");

        var (ok, refused) = await HammerAsync(client);
        var total = (await client.GetFromJsonAsync<PodVisits>("/visits"))!.Visits;
        await UntilNewestBackupHoldsAsync(sidecar, total);
        await sidecar.App.StopAsync();

        Assert.Equal(0, refused);
        Assert.Equal(ok, total);
        var backups = sidecar.Catalog.List().Reverse().ToList();
        Assert.True(backups.Count >= 5, $"only {backups.Count} backups in {LoadDuration.TotalSeconds} s of load");
        var counts = backups.Select(backup =>
        {
            var check = VisitsFile.Check(backup.Path);
            Assert.True(check.IsUsableBackup, check.WhyNotUsable);
            return check.Visits!.Value;
        }).ToList();
        Assert.Equal(counts.Order(), counts);
        Assert.True(counts.Distinct().Count() >= 3, $"backups do not follow the writes: {string.Join(", ", counts)}");
        Assert.Equal(total, counts[^1]);
        Assert.Equal(0, sidecar.State.Status.Failed);
        Assert.Empty(Directory.GetFiles(Backups, "*.tmp"));
    }

    public void Dispose() => _dir.Dispose();

    /// <returns>Visits answered 200, and answers that were anything else.</returns>
    private static async Task<(long Ok, long Refused)> HammerAsync(HttpClient client)
    {
        long ok = 0, refused = 0, sent = 0;
        var until = DateTime.UtcNow + LoadDuration;
        var workers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (DateTime.UtcNow < until && Interlocked.Increment(ref sent) <= MaxRequests)
            {
                using var response = await client.GetAsync("/");
                await response.Content.ReadAsStringAsync();
                Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok : ref refused);
            }
        });
        await Task.WhenAll(workers);
        return (ok, refused);
    }

    private static async Task UntilReadyAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await client.GetAsync("/readyz")).StatusCode != HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "the web app never got ready");
            await Task.Delay(50);
        }
    }

    private static async Task UntilNewestBackupHoldsAsync(SidecarHost sidecar, long visits)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (sidecar.Catalog.List() is not [var newest, ..] || VisitsFile.Check(newest.Path).Visits != visits)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no backup caught up with {visits} visits");
            await Task.Delay(50);
        }
    }

    private sealed record PodVisits(string Pod, long Visits);
}
