using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;
using Xunit.Abstractions;

namespace MoscowTime.Faults.Tests;

/// <summary>
/// Continuous shipping against a ground truth: real app processes killed with SIGKILL, a real s3rver, a volume deleted,
/// and the counts restore gives back compared with when each visit was sent and when its 200 came back.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class ShippingTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string Prefix = "site";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>What a lost volume may lose: the sync interval (1 s) and the upload's own time.</summary>
    private static readonly TimeSpan RecoveryPoint = TimeSpan.FromSeconds(2);

    /// <summary>An as-of restore holds every commit acknowledged this long before the instant (a commit's time is when the sidecar saw it).</summary>
    private static readonly TimeSpan AsOfSlack = TimeSpan.FromSeconds(1.5);

    private readonly TempDirectory _dir = new("shipping");
    private S3Server _store = null!;

    private string Data => _dir.File("data");
    private string Database => Path.Combine(Data, "visits.db");
    private string Backups => Path.Combine(Data, "backups");
    private static string PodFolder => $"{Prefix}/{Apps.PodName}/";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Data);
        _store = await S3Server.StartAsync(_dir.File("s3"));
    }

    [Fact]
    public async Task Both_apps_killed_mid_load_and_the_volume_lost_restore_gives_every_visit_acknowledged_two_seconds_before_and_any_instant()
    {
        DateTimeOffset loadStarted, killedAt;
        VisitJournal journal;
        await using (var web = await Apps.StartWebAsync(Database))
        await using (var sidecar = await StartSidecarAsync())
        {
            await UntilSnapshotAsync(sidecar);
            loadStarted = DateTimeOffset.UtcNow;
            journal = VisitJournal.Start(web.BaseAddress!, TimeSpan.FromSeconds(30));
            await Poll.UntilAsync(() => journal.Acknowledged >= 8 * VisitJournal.PerSecond, Patience, "eight seconds of visits", journal.ToString);
            killedAt = DateTimeOffset.UtcNow;
            sidecar.Process.Kill();
            web.Process.Kill();
            await Task.WhenAll(sidecar.Process.WaitForExitAsync(), web.Process.WaitForExitAsync());
            await journal.StopAsync();
        }

        output.WriteLine($"{journal}; objects: {string.Join(", ", _store.Keys(PodFolder))}");
        Directory.Delete(Data, recursive: true);
        Directory.CreateDirectory(Data);
        var (exitCode, restoreOutput) = await RestoreAsync();
        Assert.True(exitCode == 0, restoreOutput);
        AssertBetween(Databases.StoredVisits(Database), journal.AcknowledgedBy(killedAt - RecoveryPoint), journal.SentBy(killedAt),
            "the restored count after the kill");

        foreach (var seconds in new[] { 2.5, 4.5, 6.5 })
        {
            var instant = loadStarted.AddSeconds(seconds);
            var file = _dir.File($"as-of-{seconds}.db");
            var (code, text) = await RestoreAsync("--as-of", instant.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
                "--output", file);
            Assert.True(code == 0, text);
            AssertBetween(Databases.StoredVisits(file), journal.AcknowledgedBy(instant - AsOfSlack), journal.SentBy(instant),
                $"the count as of {instant:O}");
        }
    }

    [Fact]
    public async Task The_web_app_killed_under_load_everything_it_acknowledged_reaches_the_store()
    {
        VisitJournal journal;
        await using (var web = await Apps.StartWebAsync(Database))
        await using (var sidecar = await StartSidecarAsync())
        {
            await UntilSnapshotAsync(sidecar);
            journal = VisitJournal.Start(web.BaseAddress!, TimeSpan.FromSeconds(30));
            await Poll.UntilAsync(() => journal.Acknowledged >= 3 * VisitJournal.PerSecond, Patience, "three seconds of visits", journal.ToString);
            web.Process.Kill();
            await web.Process.WaitForExitAsync();
            await journal.StopAsync();
            var restored = await UntilStoreHoldsAsync(journal.Acknowledged, journal.SentBy(DateTimeOffset.UtcNow));
            sidecar.Process.Kill();
            output.WriteLine($"{journal}; the store holds {restored}");
        }
    }

    [Fact]
    public async Task The_sidecar_killed_again_and_again_under_load_continues_its_chain_with_no_gap_and_no_double_count()
    {
        await using var web = await Apps.StartWebAsync(Database);
        await using (var first = await StartSidecarAsync())
        {
            await UntilSnapshotAsync(first);
            first.Process.Kill();
        }

        // Slow enough that the WAL stays under the sidecar's checkpoint threshold: a kill right after a checkpoint would
        // rightly start a new chain, which is not what this test is about.
        await using (var journal = VisitJournal.Start(web.BaseAddress!, TimeSpan.FromSeconds(60), perSecond: 10))
        {
            foreach (var runFor in new[] { 700, 1_300, 2_100 })
            {
                await using var sidecar = await StartSidecarAsync();
                await Task.Delay(runFor);
                sidecar.Process.Kill();
                await sidecar.Process.WaitForExitAsync();
            }
        }

        using var client = new HttpClient { BaseAddress = web.BaseAddress };
        var stored = (await client.GetFromJsonAsync<JsonElement>("/visits")).GetProperty("visits").GetInt64();
        await using (var last = await StartSidecarAsync())
        {
            // Exactly the live count: a gap would leave it short, a frame range shipped twice would not be replayed twice.
            Assert.Equal(stored, await UntilStoreHoldsAsync(stored, stored));
        }

        Assert.True(Snapshots().Count == 1, $"one chain, continued by every restart: {string.Join(", ", _store.Keys(PodFolder))}");
    }

    [Fact]
    public async Task The_sidecar_down_while_the_wal_restarts_a_new_chain_starts_and_restores_after_it_are_exact()
    {
        await using var web = await Apps.StartWebAsync(Database);
        await using (var first = await StartSidecarAsync())
        {
            await UntilSnapshotAsync(first);
            first.Process.Kill();
        }

        var outageStarted = DateTimeOffset.UtcNow;
        var generation = WalSalts();
        await using (var journal = VisitJournal.Start(web.BaseAddress!, TimeSpan.FromSeconds(60)))
        {
            // The web app's own checkpoints restart the WAL once it passes its autocheckpoint size.
            await Poll.UntilAsync(() => WalSalts() != generation, Patience, "the WAL to restart with the sidecar down", journal.ToString);
        }

        await using var sidecar = await StartSidecarAsync();
        await Poll.UntilAsync(() => Snapshots().Count == 2, Patience, "a new chain after the restart", () => string.Join(", ", Snapshots()));
        await using (var journal = VisitJournal.Start(web.BaseAddress!, TimeSpan.FromSeconds(2), perSecond: 10))
        {
            await journal.StopAsync();
        }

        using var client = new HttpClient { BaseAddress = web.BaseAddress };
        var stored = (await client.GetFromJsonAsync<JsonElement>("/visits")).GetProperty("visits").GetInt64();
        Assert.Equal(stored, await UntilStoreHoldsAsync(stored, stored));

        // An instant of the outage: the frames were checkpointed unshipped, so it restores only up to the last shipped commit.
        var inGap = _dir.File("gap.db");
        var (code, text) = await RestoreAsync("--as-of", Iso(outageStarted.AddSeconds(1)), "--output", inGap);
        Assert.True(code == 0, text);
        Assert.True(Databases.StoredVisits(inGap) == 0, $"nothing was visited before the outage, and nothing of it was shipped: {text}");
    }

    [Fact]
    public async Task An_idle_pod_sends_nothing_from_a_minute_after_its_last_visit()
    {
        await using var web = await Apps.StartWebAsync(Database);
        await using var sidecar = await StartSidecarAsync();
        await UntilSnapshotAsync(sidecar);
        await using (var journal = VisitJournal.Start(web.BaseAddress!, TimeSpan.FromSeconds(3)))
        {
            await Poll.UntilAsync(() => journal.Acknowledged >= VisitJournal.PerSecond, Patience, "a second of visits", journal.ToString);
        }

        await Task.Delay(TimeSpan.FromMinutes(1));
        var before = _store.Keys(PodFolder);
        await Task.Delay(TimeSpan.FromSeconds(45));

        Assert.Equal(before, _store.Keys(PodFolder));
        Assert.False(sidecar.Process.HasExited, sidecar.Output);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private IReadOnlyList<string> Snapshots() => [.. _store.Keys(PodFolder).Where(key => key.Contains("/snapshot", StringComparison.Ordinal))];

    /// <summary>The WAL header's salts (bytes 16-23): new at every restart of the WAL.</summary>
    private string WalSalts()
    {
        using var wal = new FileStream(Database + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var header = new byte[24];
        return wal.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length ? Convert.ToHexString(header, 16, 8) : "";
    }

    private static void AssertBetween(long actual, long least, long most, string what) =>
        Assert.True(actual >= least && actual <= most, $"{what} is {actual}, not between {least} (acknowledged) and {most} (sent)");

    private string[] RemoteArgs() => Apps.RemoteArgs(_store, Prefix);

    private Task<ChildProcess> StartSidecarAsync() => Apps.StartSidecarAsync(Database, Backups, ["--Backup:Interval=00:00:05", .. RemoteArgs()]);

    private Task<(int ExitCode, string Output)> RestoreAsync(params string[] args) =>
        Apps.RunToEndAsync(ChildProcess.Sidecar, Data, ["restore", $"--Backup:DatabasePath={Database}", $"--Backup:Directory={Backups}", .. RemoteArgs(), .. args]);

    /// <summary>The chain's snapshot is confirmed in the store: instants from here on can be restored.</summary>
    private static async Task UntilSnapshotAsync(ChildProcess sidecar)
    {
        using var probe = new HttpClient { BaseAddress = sidecar.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await Poll.UntilAsync(async () =>
        {
            using var response = await probe.GetAsync("/healthz");
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("remoteChain").ValueKind;
        }, chain => chain == JsonValueKind.String, Patience, "the chain's snapshot confirmed in the store (remoteChain)");
    }

    /// <summary>
    /// Restores "now" from the store alone into a file, again and again, until it holds at least <paramref name="least"/>
    /// visits; more than <paramref name="most"/> at any time fails at once.
    /// </summary>
    private async Task<long> UntilStoreHoldsAsync(long least, long most)
    {
        var file = _dir.File("store-now.db");
        return await Poll.UntilAsync(async () =>
        {
            File.Delete(file);
            var (code, text) = await RestoreAsync("--as-of", Iso(DateTimeOffset.UtcNow), "--output", file);
            var count = code == 0 ? Databases.StoredVisits(file) : -1;
            Assert.True(count <= most, $"the store holds {count} visits, more than the {most} sent: {text}");
            return count;
        }, count => count >= least, Patience, $"the store to hold at least {least} visits");
    }
}
