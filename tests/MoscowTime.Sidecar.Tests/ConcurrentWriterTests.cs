using System.Net;
using System.Net.Http.Json;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class ConcurrentWriterTests : IDisposable
{
    /// <summary>The load runs until this many backups were taken during it, however fast the machine is.</summary>
    private const int BackupsUnderLoad = 5;
    private const int MaxRequests = 200_000;
    private static readonly TimeSpan LoadBound = TimeSpan.FromSeconds(90);

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

        using var enough = new CancellationTokenSource(LoadBound);
        var hammer = HammerAsync(client, enough.Token);
        await Poll.UntilAsync(() => sidecar.Catalog.List().Count >= BackupsUnderLoad || hammer.IsCompleted, LoadBound,
            $"{BackupsUnderLoad} backups taken while the web app writes");
        await enough.CancelAsync();
        var (ok, refused) = await hammer;
        var total = (await client.GetFromJsonAsync<PodVisits>("/visits"))!.Visits;
        await UntilNewestBackupHoldsAsync(sidecar, total);
        await sidecar.App.StopAsync();

        Assert.Equal(0, refused);
        Assert.Equal(ok, total);
        var backups = sidecar.Catalog.List().Reverse().ToList();
        Assert.True(backups.Count >= BackupsUnderLoad, $"only {backups.Count} backups under a load of {MaxRequests} requests");
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
    /// <param name="enough">Stops sending; what is in flight is still answered and counted.</param>
    private static async Task<(long Ok, long Refused)> HammerAsync(HttpClient client, CancellationToken enough)
    {
        long ok = 0, refused = 0, sent = 0;
        var workers = Enumerable.Range(0, 16).Select(async _ =>
        {
            while (!enough.IsCancellationRequested && Interlocked.Increment(ref sent) <= MaxRequests)
            {
                using var response = await client.GetAsync("/");
                await response.Content.ReadAsStringAsync();
                Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok : ref refused);
            }
        });
        await Task.WhenAll(workers);
        return (ok, refused);
    }

    private static Task<HttpStatusCode> UntilReadyAsync(HttpClient client) =>
        Poll.UntilAsync(async () => (await client.GetAsync("/readyz")).StatusCode, status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "the web app to get ready");

    private static Task<long?> UntilNewestBackupHoldsAsync(SidecarHost sidecar, long visits) =>
        Poll.UntilAsync(() => sidecar.Catalog.List() is [var newest, ..] ? VisitsFile.Check(newest.Path).Visits : null,
            held => held == visits, TimeSpan.FromSeconds(30), $"a backup holding all {visits} visits");

    private sealed record PodVisits(string Pod, long Visits);
}
