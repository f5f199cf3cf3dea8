using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class HealthTests : IDisposable
{
    private readonly TempDirectory _dir = new("backup-health");
    private readonly FakeTimeProvider _time = new(VisitsFile.Start);

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    [Fact]
    public async Task Healthz_reports_the_newest_backup_as_json()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);
        _time.Advance(TimeSpan.FromSeconds(30));

        var (status, body) = await sidecar.GetJsonAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("visits-20261124T210000.000Z.db", body.GetProperty("lastBackupFile").GetString());
        Assert.Equal("2026-11-24T21:00:00.000Z", body.GetProperty("lastBackupTime").GetString());
        Assert.Equal(new FileInfo(sidecar.Catalog.List()[0].Path).Length, body.GetProperty("lastBackupSizeBytes").GetInt64());
        Assert.Equal(30, body.GetProperty("lastBackupAgeSeconds").GetDouble());
        Assert.Equal(1, body.GetProperty("kept").GetInt32());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("lastError").ValueKind);
        Assert.Equal(180, body.GetProperty("maxAgeSeconds").GetDouble());
    }

    [Fact]
    public async Task Metrics_count_each_backup_taken_and_each_pass_skipped()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);
        VisitsFile.AddVisits(Database, 1);
        await sidecar.NextPassAsync();
        VisitsFile.AddVisits(Database, 1);
        await sidecar.NextPassAsync();
        await sidecar.NextPassAsync();

        var metrics = await PrometheusText.ScrapeAsync(sidecar.App.Client);

        Assert.Equal(3, metrics["moscowtime_backups_taken_total"]);
        Assert.Equal(1, metrics["moscowtime_backups_skipped_total"]);
        Assert.Equal(0, metrics["moscowtime_backups_failed_total"]);
        Assert.Equal(3, metrics["moscowtime_backups_kept"]);
        Assert.Equal(60, metrics["moscowtime_backup_age_seconds"]);
        Assert.Equal(1, metrics["moscowtime_backup_healthy"]);
        Assert.Equal(new FileInfo(sidecar.Catalog.List()[0].Path).Length, metrics["moscowtime_backup_last_size_bytes"]);
        Assert.InRange(metrics["moscowtime_backup_last_duration_seconds"], double.Epsilon, 15);
    }

    [Fact]
    public async Task Metrics_without_any_backup_are_zero_and_nan()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, waitForFirstPass: false,
            "--Backup:Directory=/proc/no-backups-here");

        var metrics = await PrometheusText.ScrapeAsync(sidecar.App.Client);

        Assert.Equal(0, metrics["moscowtime_backups_taken_total"]);
        Assert.True(double.IsNaN(metrics["moscowtime_backup_age_seconds"]));
        Assert.True(double.IsNaN(metrics["moscowtime_backup_last_size_bytes"]));
        Assert.Equal(0, metrics["moscowtime_backup_healthy"]);
    }

    [Fact]
    public async Task Two_sidecars_in_one_process_each_report_their_own_counts()
    {
        using var other = new TempDirectory("backup-health-other");
        VisitsFile.Create(Database, visits: 3);
        VisitsFile.Create(other.File("visits.db"), visits: 3);
        await using var first = await SidecarHost.StartAsync(Database, Backups, _time);
        await using var second = await SidecarHost.StartAsync(other.File("visits.db"), other.File("backups"), new FakeTimeProvider(VisitsFile.Start));
        VisitsFile.AddVisits(Database, 1);
        await first.NextPassAsync();

        Assert.Equal(2, (await PrometheusText.ScrapeAsync(first.App.Client))["moscowtime_backups_taken_total"]);
        Assert.Equal(1, (await PrometheusText.ScrapeAsync(second.App.Client))["moscowtime_backups_taken_total"]);
    }

    [Fact]
    public async Task Idle_database_stays_fresh_although_its_newest_backup_grows_old()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);

        for (var pass = 0; pass < 10; pass++)
        {
            await sidecar.NextPassAsync();
        }

        var (status, body) = await sidecar.GetJsonAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(600, body.GetProperty("lastBackupAgeSeconds").GetDouble());
    }

    [Fact]
    public async Task Database_with_no_data_yet_counts_as_fresh()
    {
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);
        await sidecar.NextPassAsync();

        var (status, body) = await sidecar.GetJsonAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("nothing to back up", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, body.GetProperty("kept").GetInt32());
    }

    [Fact]
    public async Task Healthz_is_503_while_backups_are_stale_and_200_once_they_catch_up()
    {
        CreateRollbackJournalDatabase(visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, "--Backup:MaxAge=00:03:00");
        Assert.Equal(HttpStatusCode.OK, (await sidecar.GetJsonAsync("/healthz")).Status);

        using (HoldExclusiveLock())
        {
            // The next pass waits for the lock (SQLite's busy timeout); meanwhile time runs out.
            _time.Advance(sidecar.Options.Interval);
            _time.Advance(TimeSpan.FromMinutes(3));

            var (status, body) = await sidecar.GetJsonAsync("/healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
            Assert.Contains("backups are stale", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        await UntilHealthzAsync(sidecar, HttpStatusCode.OK);
    }

    [Fact]
    public async Task Livez_is_503_while_the_loop_is_stuck_and_200_when_it_moves_again()
    {
        CreateRollbackJournalDatabase(visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, "--Backup:AttemptTimeout=00:00:10");
        Assert.Equal(HttpStatusCode.OK, (await sidecar.GetJsonAsync("/livez")).Status);

        using (HoldExclusiveLock())
        {
            var idle = sidecar.State.Heartbeat;
            _time.Advance(sidecar.Options.Interval);
            await Until(() => sidecar.State.Heartbeat != idle); // the pass has begun, and waits for the lock
            // Beyond one interval plus every attempt with its timeout and backoff: stuck, not slow.
            _time.Advance(TimeSpan.FromMinutes(3));

            var (status, body) = await sidecar.GetJsonAsync("/livez");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains("no progress", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        var before = sidecar.Passes;
        await Poll.UntilAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                return sidecar.Passes != before;
            },
            TimeSpan.FromSeconds(30),
            "the loop to finish its pass once the lock is gone");

        Assert.Equal(HttpStatusCode.OK, (await sidecar.GetJsonAsync("/livez")).Status);
    }

    [Fact]
    public async Task Healthz_is_503_while_the_backup_directory_is_unwritable_and_200_after()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);

        using (UnwritableDirectory.Make(Backups))
        {
            await sidecar.NextPassAsync();
            var (status, body) = await sidecar.GetJsonAsync("/healthz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.Contains($"backup directory {Backups} is not writable", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Contains("not writable", body.GetProperty("lastError").GetString(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await sidecar.GetJsonAsync("/livez")).Status);
        }

        await sidecar.NextPassAsync();
        Assert.Equal(HttpStatusCode.OK, (await sidecar.GetJsonAsync("/healthz")).Status);
    }

    [Fact]
    public async Task Backup_directory_that_cannot_be_created_is_a_503_not_a_crash()
    {
        VisitsFile.Create(Database, visits: 3);
        var parent = _dir.File("locked");
        Directory.CreateDirectory(parent);
        var backups = Path.Combine(parent, "backups");

        // The first pass runs while the parent refuses new entries; the state it left is what /healthz shows.
        await using var sidecar = await StartWhileUnwritable(parent, () => SidecarHost.StartAsync(Database, backups, _time));
        var (status, body) = await sidecar.GetJsonAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains($"backup directory {backups} is missing and cannot be created", body.GetProperty("reason").GetString(), StringComparison.Ordinal);

        await sidecar.NextPassAsync();
        Assert.Equal(HttpStatusCode.OK, (await sidecar.GetJsonAsync("/healthz")).Status);
        Assert.Single(sidecar.Catalog.List());
    }

    public void Dispose() => _dir.Dispose();

    private static async Task<T> StartWhileUnwritable<T>(string directory, Func<Task<T>> start)
    {
        using (UnwritableDirectory.Make(directory))
        {
            return await start();
        }
    }

    private static Task Until(Func<bool> condition, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string what = "") =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(30), what);

    /// <summary>Rollback-journal mode, where a writer's EXCLUSIVE lock keeps every reader out.</summary>
    private void CreateRollbackJournalDatabase(long visits)
    {
        VisitsFile.Create(Database, visits);
        using var connection = SqliteDatabase.OpenWriter(Database, create: false);
        connection.Execute("PRAGMA journal_mode = DELETE;");
    }

    private SqliteConnection HoldExclusiveLock()
    {
        var connection = new SqliteConnection(SqliteDatabase.ConnectionString(Database, SqliteOpenMode.ReadWrite));
        connection.Open();
        connection.Execute("BEGIN EXCLUSIVE;");
        return connection;
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> UntilHealthzAsync(SidecarHost sidecar, HttpStatusCode wanted) =>
        Poll.UntilAsync(
            async () =>
            {
                var answer = await sidecar.GetJsonAsync("/healthz");
                if (answer.Status != wanted)
                {
                    // Lets retry delays and the next interval pass on the fake clock.
                    _time.Advance(TimeSpan.FromSeconds(1));
                }

                return answer;
            },
            answer => answer.Status == wanted,
            TimeSpan.FromSeconds(30),
            $"/healthz to answer {wanted}");
}
