using System.Text.RegularExpressions;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>The sidecar as Kubernetes runs it: its own process, stopped with a real SIGTERM.</summary>
public sealed partial class ShutdownTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new("backup-sigterm");

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    [Fact]
    public async Task Sigterm_during_a_backup_leaves_only_whole_verified_backups_and_exits_0()
    {
        VisitsFile.Create(Database, visits: 11);
        VisitsFile.Pad(Database, mebibytes: 64);
        Directory.CreateDirectory(Backups);
        using var watcher = new FileSystemWatcher(Backups, "*.tmp");
        var copying = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Created += (_, _) => copying.TrySetResult();
        watcher.EnableRaisingEvents = true;

        await using var sidecar = await StartAsync();
        await copying.Task.WaitAsync(TimeSpan.FromSeconds(20));
        sidecar.Terminate();

        Assert.Equal(0, await sidecar.WaitForExitAsync(ExitTimeout));
        Assert.All(Directory.GetFiles(Backups), path => Assert.Matches(BackupName(), Path.GetFileName(path)));
        var backup = Assert.Single(Directory.GetFiles(Backups));
        var check = VisitsFile.Check(backup);
        Assert.True(check.IsUsableBackup, check.WhyNotUsable);
        Assert.Equal(11, check.Visits);
    }

    [Fact]
    public async Task Sigterm_takes_a_final_backup_of_what_changed_since_the_last()
    {
        VisitsFile.Create(Database, visits: 5);
        await using var sidecar = await StartAsync("--Backup:Interval=01:00:00");
        // The sidecar listens before its first pass creates the backup directory: on a loaded machine
        // the first looks come before it exists.
        var first = await Until(() => Directory.Exists(Backups) && Directory.GetFiles(Backups, "visits-*.db") is [var only] ? only : null);

        VisitsFile.AddVisits(Database, 3);
        sidecar.Terminate();

        Assert.Equal(0, await sidecar.WaitForExitAsync(ExitTimeout));
        var backups = Directory.GetFiles(Backups).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, backups.Count);
        Assert.Equal(first, backups[0]);
        Assert.Equal(8, VisitsFile.Check(backups[1]).Visits);
    }

    public void Dispose() => _dir.Dispose();

    private Task<ChildProcess> StartAsync(params string[] args) =>
        ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: true,
        [
            "--urls", "http://127.0.0.1:0",
            $"--Backup:DatabasePath={Database}",
            $"--Backup:Directory={Backups}",
            "--Backup:FinalBackupQuietPeriod=00:00:00.200",
            .. args,
        ]);

    private static async Task<T> Until<T>(Func<T?> find, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(find))] string what = "")
        where T : class =>
        (await Poll.UntilAsync(find, found => found is not null, TimeSpan.FromSeconds(30), what))!;

    [GeneratedRegex(@"^visits-\d{8}T\d{6}\.\d{3}Z\.db$")]
    private static partial Regex BackupName();
}
