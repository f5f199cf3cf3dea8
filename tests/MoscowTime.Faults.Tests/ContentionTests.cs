using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;
using Xunit.Abstractions;

namespace MoscowTime.Faults.Tests;

[Collection(ProcessTests.Name)]
public sealed partial class ContentionTests(ITestOutputHelper output) : IDisposable
{
    private const int Connections = 32;

    /// <summary>
    /// The writer checkpoints every 512 pages (2 MiB), and journal_size_limit truncates a WAL that grew
    /// longer back to 4 MiB; a backup holds its read snapshot for the few milliseconds of the copy,
    /// which can delay one checkpoint. Twice the checkpoint size is still well inside a 10 MiB volume
    /// that also holds the backups.
    /// </summary>
    private const long WalBound = 4 * 1024 * 1024;

    private const int BackupsUnderLoad = 10;
    private const int VisitsUnderLoad = 5_000;
    private static readonly TimeSpan LoadBound = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _dir = new("contention");

    private string Database => _dir.File("visits.db");
    private string WalFile => Database + "-wal";

    [Fact]
    public async Task Backups_every_100_ms_under_load_never_reach_a_visitor_as_an_error_and_the_WAL_stays_bounded()
    {
        await using var web = await Apps.StartWebAsync(Database);
        await using var sidecar = await Apps.StartSidecarAsync(Database, _dir.File("backups"), "--Backup:Interval=00:00:00.100", "--Backup:Retain=5");
        using var backup = new HttpClient { BaseAddress = sidecar.BaseAddress };

        // The load runs until the sidecar has taken BackupsUnderLoad backups while it ran, however
        // slow the machine: contention is counted, not assumed from a duration.
        var walMax = 0L;
        var takenBefore = Counter(await backup.GetStringAsync("/metrics"), "moscowtime_backups_taken_total");
        await using (var load = VisitLoad.Start(web.BaseAddress!, Connections, requests: 1_000_000, LoadBound))
        {
            await Poll.UntilAsync(
                async () =>
                {
                    walMax = Math.Max(walMax, File.Exists(WalFile) ? new FileInfo(WalFile).Length : 0);
                    return (Taken: Counter(await backup.GetStringAsync("/metrics"), "moscowtime_backups_taken_total") - takenBefore, load.Ok);
                },
                seen => seen.Taken >= BackupsUnderLoad && seen.Ok >= VisitsUnderLoad,
                LoadBound,
                $"{BackupsUnderLoad} backups taken while {VisitsUnderLoad} visits were made");
            await load.FinishAsync();

            var metrics = await backup.GetStringAsync("/metrics");
            var (taken, failed) = (Counter(metrics, "moscowtime_backups_taken_total"), Counter(metrics, "moscowtime_backups_failed_total"));
            output.WriteLine($"{load}; backups taken {taken}, failed {failed}; largest WAL {walMax} bytes");

            Assert.Equal([HttpStatusCode.OK], load.Statuses.Keys);
            Assert.Empty(load.Failures);
            Assert.Equal(0, failed);
            Assert.True(walMax <= WalBound, $"the WAL grew to {walMax} bytes under backups every 100 ms");

            Assert.Equal(0, await Apps.StopAsync(web));
            Assert.Equal(load.Ok, Databases.StoredVisits(Database));
        }

        // With 100 ms passes, MaxAge is 300 ms: a starved machine can hold the loop back that long
        // now and then. What matters is that the sidecar is healthy again by itself once the load ends.
        await Poll.UntilAsync(() => Probe.GetAsync(backup, "/healthz"), health => health.Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30), "the sidecar's /healthz to answer 200 after the load");
        Assert.Equal(0, await Apps.StopAsync(sidecar));
        Assert.DoesNotContain("fail:", web.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", sidecar.Output, StringComparison.Ordinal);
    }

    private static double Counter(string metrics, string name)
    {
        var match = Regex.Match(metrics, $@"^{Regex.Escape(name)}(?:\{{[^}}]*\}})? (\S+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"{name} is not in /metrics");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public void Dispose() => _dir.Dispose();
}
