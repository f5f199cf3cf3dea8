using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class BackupLoopTests : IDisposable
{
    private readonly TempDirectory _dir = new("backup-loop");
    private readonly FakeTimeProvider _time = new(VisitsFile.Start);

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    [Fact]
    public async Task First_pass_backs_up_a_database_with_data()
    {
        VisitsFile.Create(Database, visits: 42);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);

        var backup = Assert.Single(sidecar.Catalog.List());
        Assert.Equal("visits-20261124T210000.000Z.db", backup.Name);
        var check = VisitsFile.Check(backup.Path);
        Assert.True(check.IsUsableBackup, check.WhyNotUsable);
        Assert.Equal(42, check.Visits);
    }

    [Fact]
    public async Task Unchanged_database_is_not_backed_up_again()
    {
        VisitsFile.Create(Database, visits: 5);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);

        for (var pass = 0; pass < 3; pass++)
        {
            await sidecar.NextPassAsync();
        }

        Assert.Single(sidecar.Catalog.List());
        Assert.Equal((1, 3), (sidecar.State.Status.Taken, sidecar.State.Status.Skipped));

        VisitsFile.AddVisits(Database, 1);
        await sidecar.NextPassAsync();

        Assert.Equal(2, sidecar.Catalog.List().Count);
        Assert.Equal(6, VisitsFile.Check(sidecar.Catalog.List()[0].Path).Visits);
    }

    [Fact]
    public async Task Retention_keeps_exactly_the_newest_Retain_backups()
    {
        VisitsFile.Create(Database, visits: 1);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, "--Backup:Retain=3");
        var taken = new List<string> { sidecar.Catalog.List()[0].Name };

        for (var visits = 2; visits <= 6; visits++)
        {
            VisitsFile.AddVisits(Database, 1);
            var status = await sidecar.NextPassAsync();
            taken.Add(status.Newest!.Name);
        }

        var kept = sidecar.Catalog.List();
        Assert.Equal(taken.TakeLast(3).Reverse(), kept.Select(backup => backup.Name));
        Assert.Equal([6L, 5L, 4L], kept.Select(backup => VisitsFile.Check(backup.Path).Visits!.Value));
        Assert.Equal(3, sidecar.State.Status.Kept);
    }

    [Fact]
    public async Task A_restart_does_not_back_up_an_unchanged_database_again()
    {
        VisitsFile.Create(Database, visits: 7);
        await using (var first = await SidecarHost.StartAsync(Database, Backups, _time))
        {
            Assert.Single(first.Catalog.List());
        }

        _time.Advance(TimeSpan.FromMinutes(5));
        await using var second = await SidecarHost.StartAsync(Database, Backups, _time);

        Assert.Single(second.Catalog.List());
        Assert.Equal((0, 1), (second.State.Status.Taken, second.State.Status.Skipped));

        VisitsFile.AddVisits(Database, 1);
        await second.NextPassAsync();
        Assert.Equal(2, second.Catalog.List().Count);
    }

    [Fact]
    public async Task A_backup_is_one_self_contained_file_that_opens_read_only()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);

        var backup = Assert.Single(sidecar.Catalog.List());
        var header = new byte[100];
        using (var file = File.OpenRead(backup.Path))
        {
            file.ReadExactly(header);
        }

        // Bytes 18 and 19 are 1 for a rollback-journal file, 2 for WAL (which would need -wal/-shm beside it).
        Assert.Equal((1, 1), (header[18], header[19]));
        Assert.Equal([backup.Name], Directory.GetFiles(Backups).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Database_that_does_not_exist_yet_is_nothing_to_back_up()
    {
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);

        Assert.Empty(sidecar.Catalog.List());
        Assert.False(File.Exists(Database), "the sidecar must never create the web app's database");
        Assert.Contains("does not exist yet", sidecar.State.Status.NothingToBackUp, StringComparison.Ordinal);

        VisitsFile.Create(Database, visits: 1);
        await sidecar.NextPassAsync();
        Assert.Single(sidecar.Catalog.List());
    }

    [Fact]
    public async Task Half_written_backups_of_an_earlier_run_are_removed_at_start()
    {
        VisitsFile.Create(Database, visits: 1);
        Directory.CreateDirectory(Backups);
        var leftovers = new[] { ".visits-20261124T200000.000Z.db.tmp", ".visits-20261124T200000.000Z.db.tmp-journal" };
        foreach (var name in leftovers)
        {
            await File.WriteAllTextAsync(Path.Combine(Backups, name), "half a backup");
        }

        var unrelated = Path.Combine(Backups, "notes.txt");
        await File.WriteAllTextAsync(unrelated, "not ours");

        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time);

        Assert.All(leftovers, name => Assert.False(File.Exists(Path.Combine(Backups, name)), name));
        Assert.True(File.Exists(unrelated));
        Assert.Single(sidecar.Catalog.List());
    }

    [Fact]
    public async Task Attempt_that_times_out_leaves_no_partial_file_and_is_retried()
    {
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, "--Backup:AttemptTimeout=00:10:00");
        VisitsFile.Create(Database, visits: 9);
        VisitsFile.Pad(Database, mebibytes: 16); // a copy of several steps, so the timeout can land inside it

        // The moment the copy starts, its attempt times out: inotify tells us sooner than polling could.
        using var watcher = new FileSystemWatcher(Backups, "*.tmp");
        var timedOut = 0;
        watcher.Created += (_, _) =>
        {
            if (Interlocked.Exchange(ref timedOut, 1) == 0)
            {
                _time.Advance(TimeSpan.FromMinutes(10.01));
            }
        };
        watcher.EnableRaisingEvents = true;
        _time.Advance(sidecar.Options.Interval);

        // The retry waits for the (fake) clock, so this is the directory between the two attempts.
        await Until(() => Volatile.Read(ref timedOut) == 1 && Files().Length == 0);
        Assert.Equal(1, sidecar.Passes);

        await Until(() =>
        {
            // Far less than the attempt timeout in all: the retry's copy does not run out of time.
            _time.Advance(TimeSpan.FromMilliseconds(200));
            return sidecar.Passes > 1;
        });
        await sidecar.App.StopAsync();
        var backup = Assert.Single(sidecar.Catalog.List());
        Assert.Equal([backup.Name], Files());
        Assert.Equal(9, VisitsFile.Check(backup.Path).Visits);
        Assert.Equal((1, 0), (sidecar.State.Status.Taken, sidecar.State.Status.Failed));
    }

    private string[] Files() => Directory.Exists(Backups) ? Directory.GetFiles(Backups).Select(path => Path.GetFileName(path)).ToArray() : [];

    private Task Until(Func<bool> condition, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string what = "") =>
        Poll.UntilAsync(condition, TimeSpan.FromSeconds(30), what, () => $"the backup directory holds [{string.Join(", ", Files())}]");

    public void Dispose() => _dir.Dispose();
}
