using System.Net;
using System.Text.RegularExpressions;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;

namespace MoscowTime.Faults.Tests;

[Collection(ProcessTests.Name)]
public sealed partial class DatabaseDamageTests : IDisposable
{
    private const int Visits = 5;

    private readonly TempDirectory _dir = new("damage");

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    [Theory]
    [InlineData(Damage.Deleted, "was deleted while the app was running")]
    [InlineData(Damage.Emptied, null)]
    [InlineData(Damage.Truncated, "damaged or not a database")]
    [InlineData(Damage.Garbage, "damaged or not a database")]
    [InlineData(Damage.Header, "damaged or not a database")]
    public async Task Damaged_while_running_visits_get_503_readiness_says_why_and_restore_repairs_it_without_a_restart(Damage damage, string? reason)
    {
        await using var web = await Apps.StartWebAsync(Database);
        using var client = new HttpClient { BaseAddress = web.BaseAddress };
        await VisitAsync(client, Visits);
        await BackUpAsync();

        DatabaseDamage.Inflict(Database, damage);

        using (var refused = await client.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("not recorded", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await AssertNotReadyButLiveAsync(web, client, reason ?? Database);
        Assert.Equal(Visits, (await Probe.GetAsync(client, "/visits")).Number("visits"));

        await AssertRestoredFromNewestValidBackupAsync();

        await Poll.UntilAsync(() => Probe.GetAsync(client, "/readyz"), probe => probe.Status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(10), "readiness after the restore");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(Visits + 1, (await Probe.GetAsync(client, "/visits")).Number("visits"));
        Assert.False(web.Process.HasExited);
    }

    [Theory]
    [InlineData(Damage.Truncated)]
    [InlineData(Damage.Garbage)]
    [InlineData(Damage.Header)]
    public async Task Damaged_at_start_the_app_stays_live_but_not_ready_and_restore_as_init_container_repairs_it(Damage damage)
    {
        await SeedAsync();
        DatabaseDamage.Inflict(Database, damage);

        await using (var damaged = await Apps.StartWebAsync(Database))
        {
            using var client = new HttpClient { BaseAddress = damaged.BaseAddress };
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/")).StatusCode);
            await AssertNotReadyButLiveAsync(damaged, client, "damaged or not a database");
            Assert.Equal(0, await Apps.StopAsync(damaged));
        }

        await AssertRestoredFromNewestValidBackupAsync();
        await AssertStartsWithTheBackedUpVisitsAsync();
    }

    /// <summary>
    /// The init container's case: no usable database, backups kept. Starting from an empty file would
    /// silently restart the count at zero.
    /// </summary>
    [Theory]
    [InlineData(Damage.Deleted)]
    [InlineData(Damage.Emptied)]
    public async Task Lost_at_start_restore_as_init_container_puts_the_newest_valid_backup_back(Damage damage)
    {
        await SeedAsync();
        DatabaseDamage.Inflict(Database, damage);

        await AssertRestoredFromNewestValidBackupAsync();
        await AssertStartsWithTheBackedUpVisitsAsync();
    }

    /// <summary>A database with <see cref="Visits"/> visits written by the web app, and a backup of it by the sidecar.</summary>
    private async Task SeedAsync()
    {
        await using var web = await Apps.StartWebAsync(Database);
        using var client = new HttpClient { BaseAddress = web.BaseAddress };
        await VisitAsync(client, Visits);
        await BackUpAsync();
        Assert.Equal(0, await Apps.StopAsync(web));
    }

    /// <summary>Runs the sidecar until it has kept a backup holding <see cref="Visits"/> visits.</summary>
    private async Task BackUpAsync()
    {
        await using var sidecar = await Apps.StartSidecarAsync(Database, Backups, "--Backup:Interval=00:00:00.100");
        using var client = new HttpClient { BaseAddress = sidecar.BaseAddress };
        var health = await Poll.UntilAsync(() => Probe.GetAsync(client, "/healthz"),
            probe => probe.Status == HttpStatusCode.OK && probe.Text("lastBackupFile") is not null,
            TimeSpan.FromSeconds(10), "a backup");
        Assert.Equal(Visits, Databases.StoredVisits(Path.Combine(Backups, health.Text("lastBackupFile")!)));
        Assert.Equal(0, await Apps.StopAsync(sidecar));
    }

    private static async Task VisitAsync(HttpClient client, int visits)
    {
        for (var i = 0; i < visits; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>
    /// Readiness fails with the reason, again and again, while the process keeps serving liveness and
    /// its log says what is wrong once per reason, not once per probe.
    /// </summary>
    private static async Task AssertNotReadyButLiveAsync(ChildProcess web, HttpClient client, string reason)
    {
        for (var probe = 0; probe < 5; probe++)
        {
            var ready = await Probe.GetAsync(client, "/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
            Assert.Contains(reason, ready.Reason, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/livez")).StatusCode);
        }

        Assert.False(web.Process.HasExited, $"the web app exited:\n{web.Output}");
        var writerErrors = WriterError().Count(web.Output);
        Assert.True(writerErrors is >= 1 and <= 2, $"{writerErrors} errors logged by the writer after 5 probes:\n{web.Output}");
    }

    /// <summary>
    /// Runs restore with a newer backup beside the real one that is not a database: restore must skip
    /// it, put the newest valid one in place, and keep what it replaced.
    /// </summary>
    private async Task AssertRestoredFromNewestValidBackupAsync()
    {
        var valid = Directory.GetFiles(Backups, "visits-*.db").Max()!;
        var broken = DatabaseDamage.PlantBrokenBackup(Backups);

        var (exitCode, output) = await Apps.RestoreAsync(Database, Backups);

        Assert.True(exitCode == 0, $"restore exited {exitCode}:\n{output}");
        Assert.True(output.Contains($"Skipping backup {Path.GetFileName(broken)}", StringComparison.Ordinal)
                && output.Contains($"Restored {Path.GetFileName(valid)}", StringComparison.Ordinal),
            $"restore did not skip the broken backup and restore {Path.GetFileName(valid)}:\n{output}");
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        Assert.Equal(Visits, Databases.StoredVisits(Database));
        File.Delete(broken);
    }

    private async Task AssertStartsWithTheBackedUpVisitsAsync()
    {
        await using var web = await Apps.StartWebAsync(Database);
        using var client = new HttpClient { BaseAddress = web.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(Visits, (await Probe.GetAsync(client, "/visits")).Number("visits"));
        Assert.Equal(0, await Apps.StopAsync(web));
        Assert.DoesNotContain("fail:", web.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^fail: MoscowTime\.Storage\.VisitWriter", RegexOptions.Multiline)]
    private static partial Regex WriterError();

    public void Dispose() => _dir.Dispose();
}
