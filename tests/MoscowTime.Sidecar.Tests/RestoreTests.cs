using MoscowTime.Sidecar.Files;
using MoscowTime.Sidecar.Restore;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class RestoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("restore");

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    [Fact]
    public async Task Missing_database_is_restored_from_the_newest_backup()
    {
        BackupsWith(10, 20, 30);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(30, Databases.StoredVisits(Database));
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        Assert.Equal(3, Directory.GetFiles(Backups).Length);
    }

    [Fact]
    public async Task Damaged_database_is_moved_aside_and_the_newest_valid_backup_restored()
    {
        BackupsWith(10, 20, 30);
        VisitsFile.Corrupt(NewestBackup());
        VisitsFile.Create(Database, visits: 25);
        VisitsFile.Corrupt(Database);
        var damaged = await File.ReadAllBytesAsync(Database);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(20, Databases.StoredVisits(Database));
        var aside = Assert.Single(Directory.GetFiles(_dir.Path, "visits.db.corrupt-*Z"));
        Assert.Equal(damaged, await File.ReadAllBytesAsync(aside));
        Assert.Equal(3, Directory.GetFiles(Backups).Length);
    }

    [Fact]
    public async Task Healthy_database_is_left_byte_identical()
    {
        BackupsWith(10, 20);
        VisitsFile.Create(Database, visits: 5);
        var before = await File.ReadAllBytesAsync(Database);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(before, await File.ReadAllBytesAsync(Database));
        Assert.Empty(Directory.GetFiles(_dir.Path, "visits.db.*-*"));
    }

    [Fact]
    public async Task Empty_database_beside_kept_backups_is_lost_not_healthy()
    {
        BackupsWith(10, 20);
        await File.WriteAllBytesAsync(Database, []);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(20, Databases.StoredVisits(Database));
        Assert.Single(Directory.GetFiles(_dir.Path, "visits.db.corrupt-*Z"));
    }

    [Fact]
    public async Task Empty_database_without_any_backup_is_left_for_the_web_app_to_create()
    {
        await File.WriteAllBytesAsync(Database, []);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(0, new FileInfo(Database).Length);
    }

    [Fact]
    public async Task Missing_database_without_any_backup_is_nothing_to_do()
    {
        Assert.Equal(0, await RestoreAsync());

        Assert.False(File.Exists(Database), "the web app creates its database itself");
    }

    [Fact]
    public async Task Damaged_database_that_no_backup_can_repair_fails_and_stays_in_place()
    {
        BackupsWith(10);
        VisitsFile.Corrupt(NewestBackup());
        VisitsFile.Create(Database, visits: 25);
        VisitsFile.Corrupt(Database);
        var damaged = await File.ReadAllBytesAsync(Database);

        Assert.Equal(1, await RestoreAsync());

        Assert.Equal(damaged, await File.ReadAllBytesAsync(Database));
        Assert.Empty(Directory.GetFiles(_dir.Path, "visits.db.*-*"));
    }

    [Fact]
    public async Task Missing_database_whose_backups_are_all_damaged_is_not_silently_started_empty()
    {
        BackupsWith(10);
        VisitsFile.Corrupt(NewestBackup());

        Assert.Equal(1, await RestoreAsync());

        Assert.False(File.Exists(Database));
    }

    [Fact]
    public async Task Leftover_wal_of_a_lost_database_is_moved_aside_rather_than_replayed_into_the_restored_one()
    {
        BackupsWith(10, 20);
        // A WAL full of commits to another database, as a lost file leaves behind.
        var other = _dir.File("other.db");
        VisitsFile.Create(other, visits: 1);
        using (var writer = Storage.SqliteDatabase.OpenWriter(other, create: false))
        {
            using var command = writer.CreateCommand();
            command.CommandText = "PRAGMA wal_autocheckpoint = 0;";
            command.ExecuteNonQuery();
            for (var i = 0; i < 50; i++)
            {
                VisitsFile.AddVisits(other, 1, VisitsFile.Start.AddHours(i));
            }

            File.Copy(other + "-wal", Database + "-wal");
        }

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(20, Databases.StoredVisits(Database));
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        Assert.Single(Directory.GetFiles(_dir.Path, "visits.db.orphaned-*-wal"));
    }

    [Fact]
    public async Task Restored_file_belongs_to_the_app_user_and_is_writable_by_it()
    {
        BackupsWith(10);

        Assert.Equal(0, await RestoreAsync());

        var mode = File.GetUnixFileMode(Database);
        Assert.True(mode.HasFlag(UnixFileMode.UserWrite) && mode.HasFlag(UnixFileMode.UserRead), mode.ToString());
        // Only root can hand a file to another user, as the init container does: as anyone else
        // this test cannot tell, so it says so rather than pass (CI runs the suites as root).
        Assert.True(Posix.IsRoot, "run as root (as CI does): only then does restore chown the file, and only then can this test check it");
        Assert.Equal($"{DatabaseRestorer.AppUser}:{DatabaseRestorer.AppUser}", await OwnerOf(Database));
    }

    [Fact]
    public async Task A_chosen_backup_can_be_restored_by_hand_when_the_database_is_gone()
    {
        var paths = BackupsWith(10, 20, 30);

        Assert.Equal(0, await RestoreAsync($"--from={paths[0]}"));

        Assert.Equal(10, Databases.StoredVisits(Database));
    }

    [Fact]
    public async Task Restoring_by_hand_never_overwrites_an_intact_database()
    {
        var paths = BackupsWith(10);
        VisitsFile.Create(Database, visits: 5);

        Assert.Equal(0, await RestoreAsync($"--from={paths[0]}"));

        Assert.Equal(5, Databases.StoredVisits(Database));
    }

    public void Dispose() => _dir.Dispose();

    /// <returns>The backups' paths, oldest first, an hour apart.</returns>
    private List<string> BackupsWith(params long[] visits) =>
        visits.Select((count, i) => VisitsFile.Backup(Backups, Database, VisitsFile.Start.AddHours(i), count)).ToList();

    private string NewestBackup() => Directory.GetFiles(Backups, "visits-*.db").Order(StringComparer.Ordinal).Last();

    /// <summary>uid:gid of a file, from stat(1): .NET does not expose a file's owner.</summary>
    private static async Task<string> OwnerOf(string path) =>
        (await Command.RunAsync("stat", ["-c", "%u:%g", path], TimeSpan.FromSeconds(10))).EnsureSuccess().StandardOutput.Trim();

    private Task<int> RestoreAsync(params string[] args) =>
        RestoreCommand.RunAsync([$"--Backup:DatabasePath={Database}", $"--Backup:Directory={Backups}", "--Logging:LogLevel:Default=Warning", .. args]);
}
