using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MoscowTime.Sidecar.Restore;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>
/// <c>restore</c> on an empty volume, from a real s3rver holding whole copies that earlier versions uploaded
/// (<c>visits-&lt;utc&gt;.db</c>): each restores as a chain without segments.
/// </summary>
public sealed class RemoteRestoreTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("remote-restore");
    private readonly FakeLogCollector _log = new();
    private RemoteStore _store = null!;

    private string Database => _dir.File("data/visits.db");
    private string Backups => _dir.File("data/backups");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir.File("data"));
        _store = await RemoteStore.StartAsync(_dir);
    }

    [Fact]
    public async Task An_empty_volume_gets_the_newest_whole_copy_an_earlier_version_uploaded()
    {
        await UploadAsync(10, 20, 30);
        await UploadAsync(pod: "moscow-time-1", visits: 99);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(30, Databases.StoredVisits(Database));
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        Assert.Empty(Directory.GetFiles(_dir.File("data"), ".*"));
        Assert.Contains(_log.GetSnapshot(), r => r.Message.Contains($"Restored s3://backups/{RemoteStore.PodFolder}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_damaged_newest_object_is_skipped_and_logged_and_the_older_good_one_restored()
    {
        var keys = await UploadAsync(10, 20);
        _store.Server.Damage(keys[^1]);

        Assert.True(await RestoreAsync() == 0, string.Join("\n", _log.GetSnapshot().Select(r => r.Message)));

        Assert.Equal(10, Databases.StoredVisits(Database));
        Assert.Contains(_log.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains($"Skipping remote backup {keys[^1]}", StringComparison.Ordinal)
            && r.Message.Contains("checksum", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_object_without_a_recorded_checksum_is_not_taken_for_a_backup()
    {
        await UploadAsync(10);
        var unconfirmed = VisitsFile.Backup(_dir.File("elsewhere"), Database, VisitsFile.Start.AddDays(1), 50);
        using (var client = _store.Client())
        {
            // What a PUT without our metadata leaves: a valid database no upload of ours confirmed.
            await RemoteStore.PutFileAsync(client, Path.GetFileName(unconfirmed), unconfirmed, confirmed: false);
        }

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(10, Databases.StoredVisits(Database));
        Assert.Equal(2, _store.Keys().Count);
    }

    [Fact]
    public async Task A_damaged_database_without_a_good_local_backup_comes_back_from_the_store_and_is_kept_aside()
    {
        await UploadAsync(40);
        VisitsFile.Create(Database, 7);
        VisitsFile.Corrupt(Database);

        Assert.True(await RestoreAsync() == 0, string.Join("\n", _log.GetSnapshot().Select(r => r.Message)));

        Assert.Equal(40, Databases.StoredVisits(Database));
        Assert.Single(Directory.GetFiles(_dir.File("data"), "visits.db.corrupt-*"), aside => aside.EndsWith('Z')); // and its -wal, -shm
    }

    [Fact]
    public async Task An_emptied_database_without_a_local_backup_does_not_start_at_zero_when_the_store_holds_its_history()
    {
        await UploadAsync(40);
        File.WriteAllBytes(Database, []);

        Assert.True(await RestoreAsync() == 0, string.Join("\n", _log.GetSnapshot().Select(r => r.Message)));

        Assert.Equal(40, Databases.StoredVisits(Database));
    }

    [Fact]
    public async Task An_emptied_database_is_left_alone_when_the_store_holds_nothing_for_this_pod()
    {
        await UploadAsync(pod: "moscow-time-1", visits: 99);
        File.WriteAllBytes(Database, []);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(0, new FileInfo(Database).Length);
        Assert.Equal(["visits.db"], Directory.GetFiles(_dir.File("data"), "visits.db*").Select(Path.GetFileName));
    }

    [Fact]
    public async Task Local_backups_that_all_fail_verification_give_way_to_the_store()
    {
        await UploadAsync(40);
        var local = VisitsFile.Backup(Backups, Database, VisitsFile.Start.AddDays(2), 5);
        VisitsFile.Corrupt(local);

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(40, Databases.StoredVisits(Database));
    }

    [Fact]
    public async Task A_store_with_nothing_for_this_pod_means_a_new_pod()
    {
        await UploadAsync(pod: "moscow-time-1", visits: 99);

        Assert.Equal(0, await RestoreAsync());

        Assert.False(File.Exists(Database), "the web app creates its database itself");
    }

    [Fact]
    public async Task An_intact_database_is_left_alone_without_asking_the_store()
    {
        VisitsFile.Create(Database, visits: 5);
        _store.Server.Stop();

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(5, Databases.StoredVisits(Database));
    }

    [Theory]
    [InlineData("unreachable", "cannot be reached")]
    [InlineData("bad-credentials", "denied access to s3://backups/site/moscow-time-0/ (403")]
    [InlineData("missing-bucket", "bucket 'no-such-bucket' does not exist")]
    public async Task A_store_that_cannot_be_asked_refuses_to_start_at_zero_and_names_the_cause(string fault, string cause)
    {
        await UploadAsync(10);
        var args = fault switch
        {
            "bad-credentials" => _store.Args(accessKey: "NOT-A-KEY"),
            "missing-bucket" => _store.Args(bucket: "no-such-bucket"),
            _ => _store.Args(),
        };
        if (fault == "unreachable")
        {
            _store.Server.Stop();
        }

        Assert.Equal(1, await RestoreAsync(args));

        Assert.False(File.Exists(Database));
        var critical = Assert.Single(_log.GetSnapshot(), r => r.Level == LogLevel.Critical);
        Assert.Contains("Refusing to let the web app start from zero", critical.Message, StringComparison.Ordinal);
        Assert.Contains(cause, critical.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', critical.Message);
        Assert.All(_log.GetSnapshot(), r => Assert.DoesNotContain(RemoteStore.Secret, r.Message, StringComparison.Ordinal));
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    /// <returns>The keys, oldest first, an hour apart, each a backup with the given visits.</returns>
    private async Task<List<string>> UploadAsync(params long[] visits) => await UploadAsync(RemoteStore.Pod, visits);

    private async Task<List<string>> UploadAsync(string pod, params long[] visits)
    {
        var keys = new List<string>();
        var staging = _dir.File($"staging/{pod}");
        for (var i = 0; i < visits.Length; i++)
        {
            var file = VisitsFile.Backup(staging, Database, VisitsFile.Start.AddHours(i), visits[i]);
            await _store.PutBackupAsync(file, pod: pod);
            keys.Add($"{RemoteStore.Prefix}/{pod}/{Path.GetFileName(file)}");
        }

        return keys;
    }

    private Task<int> RestoreAsync() => RestoreAsync(_store.Args());

    private Task<int> RestoreAsync(string[] remote) =>
        RestoreCommand.RunAsync(
            [$"--Backup:DatabasePath={Database}", $"--Backup:Directory={Backups}", "--Logging:LogLevel:Default=Information", .. remote],
            builder => builder.Logging.AddProvider(new FakeLoggerProvider(_log)));
}
