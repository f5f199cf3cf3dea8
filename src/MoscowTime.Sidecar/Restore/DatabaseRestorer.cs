using System.Globalization;
using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Restore;

/// <summary>
/// Puts the newest verified backup in place of a missing or damaged database, before the web app
/// starts. It never replaces an intact database and never deletes anything: a damaged file and its
/// -wal/-shm are renamed aside for inspection.
/// </summary>
/// <remarks>
/// With a remote configured, a volume with no database and no local backup that verifies (a new or
/// lost volume) is restored from this pod's objects in the store; a store that cannot be asked fails
/// the restore, as the pod's history may be out there.
/// </remarks>
public sealed partial class DatabaseRestorer(
    IOptions<BackupOptions> options, BackupCatalog catalog, RemoteHistory remote, TimeProvider time, ILogger<DatabaseRestorer> logger)
{
    public const int Restored = 0;
    public const int NothingToDo = 0;
    public const int Failed = 1;

    /// <summary>The container images' app user; the web app must own and write the file we put back.</summary>
    public const uint AppUser = 1654;

    private static readonly string[] Companions = ["-wal", "-shm", "-journal"];

    /// <param name="from">A specific backup to restore instead of the newest (by hand, when the database is gone).</param>
    /// <returns>The process exit code.</returns>
    public async Task<int> RunAsync(string? from = null, CancellationToken cancellationToken = default)
    {
        var database = options.Value.DatabasePath;
        var present = File.Exists(database);
        string? damage = null;
        var emptyOnly = false;
        if (present)
        {
            var check = DatabaseVerifier.Check(database);
            switch (check.Condition)
            {
                case DatabaseCondition.Intact when check.SchemaVersion == 0 && (catalog.List().Count > 0 || remote.IsConfigured):
                    // An empty file beside kept backups, or where the store may hold this pod's
                    // history (truncated to nothing, a copy that never happened), is a lost
                    // database: the web app would start it from zero.
                    damage = check.WhyNotUsable;
                    emptyOnly = true;
                    LogDamaged(logger, database, damage);
                    break;
                case DatabaseCondition.Intact:
                    LogHealthy(logger, database, check.SchemaVersion, check.Visits);
                    return NothingToDo;
                case DatabaseCondition.Unreadable:
                    LogUncheckable(logger, database, check.Problem);
                    return Failed;
                default:
                    damage = check.Problem;
                    LogDamaged(logger, database, damage);
                    break;
            }
        }

        var candidates = from is null ? catalog.List() : [new BackupFile(Path.GetFullPath(from), time.GetUtcNow(), 0)];
        var (backup, verified) = NewestUsable(candidates);
        if (from is null && remote.IsConfigured && backup is null)
        {
            return await RestoreFromRemoteAsync(database, new Lost(present, damage, emptyOnly, candidates.Count), cancellationToken);
        }

        if (candidates.Count == 0)
        {
            if (!present)
            {
                LogNoBackupYet(logger, database, catalog.Directory);
                return NothingToDo;
            }

            LogUnrepairable(logger, database, damage, $"there is no backup in {catalog.Directory}");
            return Failed;
        }

        if (backup is null || verified is null)
        {
            var why = $"none of the {candidates.Count} backups in {catalog.Directory} passes verification";
            if (present)
            {
                LogUnrepairable(logger, database, damage, why);
            }
            else
            {
                // Letting the web app start an empty database here would silently restart the count at zero.
                LogMissingAndUnrestorable(logger, database, why);
            }

            return Failed;
        }

        var stamp = Stamp();
        if (present)
        {
            var aside = MoveAside(database, $"corrupt-{stamp}");
            LogMovedAside(logger, database, aside);
        }
        else if (MoveAsideCompanionsOnly(database, $"orphaned-{stamp}") is { } orphaned)
        {
            LogMovedAside(logger, $"{database}-wal/-shm", orphaned);
        }

        Place(backup.Path, database, stamp);
        LogRestored(logger, backup.Name, verified.Visits, verified.SchemaVersion, database);
        return Restored;
    }

    /// <summary>What the volume holds when the store is asked: a damaged (or empty) database or none, and how many local backups failed.</summary>
    private sealed record Lost(bool Present, string? Damage, bool EmptyOnly, int LocalBackups);

    /// <summary>
    /// No database, or a damaged or empty one, and nothing usable on the volume: this pod's newest
    /// good object from the store. A damaged database is kept aside, as with a local backup.
    /// </summary>
    private async Task<int> RestoreFromRemoteAsync(string database, Lost lost, CancellationToken cancellationToken)
    {
        var localBackups = lost.LocalBackups;
        RemoteFind found;
        try
        {
            found = await remote.FindNewestUsableAsync(DirectoryOf(database), cancellationToken);
        }
        catch (RemoteUnavailableException ex)
        {
            LogRemoteUnavailable(logger, database, ex.Message);
            return Failed;
        }

        switch (found)
        {
            case RemoteFind.Found downloaded:
                try
                {
                    var stamp = Stamp();
                    if (lost.Present)
                    {
                        LogMovedAside(logger, database, MoveAside(database, $"corrupt-{stamp}"));
                    }
                    else if (MoveAsideCompanionsOnly(database, $"orphaned-{stamp}") is { } orphaned)
                    {
                        LogMovedAside(logger, $"{database}-wal/-shm", orphaned);
                    }

                    Place(downloaded.Path, database, stamp);
                }
                finally
                {
                    DurableFile.TryDelete(downloaded.Path);
                }

                LogRestored(logger, $"{remote.Location}{downloaded.Name}", downloaded.Check.Visits, downloaded.Check.SchemaVersion, database);
                return Restored;
            case RemoteFind.NoneUsable none:
                return Unrestorable(database, lost,
                    $"none of the {localBackups} backups in {catalog.Directory} and none of the {none.Count} objects in {remote.Location} passes verification");
            default:
                if (localBackups > 0)
                {
                    return Unrestorable(database, lost,
                        $"none of the {localBackups} backups in {catalog.Directory} passes verification and {remote.Location} holds none");
                }

                if (lost.Present && !lost.EmptyOnly)
                {
                    return Unrestorable(database, lost, $"there is no backup in {catalog.Directory} and {remote.Location} holds none");
                }

                // No history anywhere: a new pod (an empty file left as it is, for the web app to fill).
                LogNewPod(logger, database, catalog.Directory, remote.Location);
                return NothingToDo;
        }
    }

    private int Unrestorable(string database, Lost lost, string why)
    {
        if (lost.Present)
        {
            LogUnrepairable(logger, database, lost.Damage, why);
        }
        else
        {
            LogMissingAndUnrestorable(logger, database, why);
        }

        return Failed;
    }

    private string Stamp() => time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private (BackupFile? Backup, DatabaseCheck? Check) NewestUsable(IReadOnlyList<BackupFile> candidates)
    {
        foreach (var candidate in candidates)
        {
            var check = DatabaseVerifier.Check(candidate.Path);
            if (check.IsUsableBackup)
            {
                return (candidate, check);
            }

            LogSkipped(logger, candidate.Name, check.WhyNotUsable);
        }

        return (null, null);
    }

    /// <summary>
    /// Renames the database and its -wal/-shm/-journal to <c>visits.db.&lt;label&gt;</c> and siblings:
    /// a -wal left next to the restored file would be replayed into it and damage it, and together
    /// the set still opens in sqlite3 for a post-mortem.
    /// </summary>
    /// <returns>The new name of the database file.</returns>
    private static string MoveAside(string database, string label)
    {
        var aside = FreeName($"{database}.{label}");
        foreach (var suffix in Companions)
        {
            if (File.Exists(database + suffix))
            {
                File.Move(database + suffix, aside + suffix);
            }
        }

        File.Move(database, aside);
        Posix.SyncDirectory(DirectoryOf(database));
        return aside;
    }

    private static string? MoveAsideCompanionsOnly(string database, string label)
    {
        if (!Companions.Any(suffix => File.Exists(database + suffix)))
        {
            return null;
        }

        var aside = FreeName($"{database}.{label}");
        foreach (var suffix in Companions.Where(suffix => File.Exists(database + suffix)))
        {
            File.Move(database + suffix, aside + suffix);
        }

        Posix.SyncDirectory(DirectoryOf(database));
        return aside;
    }

    /// <summary>Copies the backup beside the database, checks the copy, then renames it into place.</summary>
    private static void Place(string backup, string database, string stamp)
    {
        var directory = DirectoryOf(database);
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(database)}.restore-{stamp}.tmp");
        try
        {
            File.Copy(backup, temporary, overwrite: true);
            File.SetUnixFileMode(temporary,
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            if (Posix.IsRoot)
            {
                // Tests and hand restores may run as root; the web app runs as the app user and must write it.
                Posix.ChangeOwner(temporary, AppUser, AppUser);
            }

            DurableFile.Sync(temporary);
            var check = DatabaseVerifier.Check(temporary);
            if (!check.IsUsableBackup)
            {
                throw new IOException($"the copy of {backup} at {temporary} does not verify: {check.WhyNotUsable}");
            }

            // Never overwrite: if something created the database meanwhile, it is not ours to replace.
            DurableFile.Publish(temporary, database);
        }
        catch
        {
            DurableFile.TryDelete(temporary);
            throw;
        }
    }

    private static string FreeName(string wanted)
    {
        var name = wanted;
        for (var n = 2; File.Exists(name); n++)
        {
            name = $"{wanted}-{n}";
        }

        return name;
    }

    private static string DirectoryOf(string path) => Path.GetDirectoryName(Path.GetFullPath(path))!;

    [LoggerMessage(LogLevel.Information, "{Database} is intact (schema version {Version}, {Visits} visits); nothing to restore")]
    private static partial void LogHealthy(ILogger logger, string database, int version, long? visits);

    [LoggerMessage(LogLevel.Error, "Cannot check {Database}, so it is left alone: {Problem}")]
    private static partial void LogUncheckable(ILogger logger, string database, string? problem);

    [LoggerMessage(LogLevel.Warning, "{Database} is damaged: {Problem}")]
    private static partial void LogDamaged(ILogger logger, string database, string? problem);

    [LoggerMessage(LogLevel.Information, "{Database} does not exist and {Directory} holds no backup yet; nothing to restore, the web app starts a new database")]
    private static partial void LogNoBackupYet(ILogger logger, string database, string directory);

    [LoggerMessage(LogLevel.Information, "{Database} does not exist, and neither {Directory} nor {Location} holds a backup of this pod; nothing to restore, the web app starts a new database")]
    private static partial void LogNewPod(ILogger logger, string database, string directory, string location);

    [LoggerMessage(LogLevel.Critical, "{Database} is missing and the remote backups cannot be asked: {Reason}. Refusing to let the web app start from zero")]
    private static partial void LogRemoteUnavailable(ILogger logger, string database, string reason);

    [LoggerMessage(LogLevel.Warning, "Skipping backup {Backup}: {Problem}")]
    private static partial void LogSkipped(ILogger logger, string backup, string? problem);

    [LoggerMessage(LogLevel.Critical, "{Database} is damaged ({Problem}) and cannot be repaired: {Why}. It is left in place; move it aside to start an empty database, or copy a good backup to its path")]
    private static partial void LogUnrepairable(ILogger logger, string database, string? problem, string why);

    [LoggerMessage(LogLevel.Critical, "{Database} is missing and cannot be restored: {Why}. Refusing to let the web app start from zero; move the damaged backups away to accept an empty database")]
    private static partial void LogMissingAndUnrestorable(ILogger logger, string database, string why);

    [LoggerMessage(LogLevel.Warning, "Moved {Database} aside to {Aside}")]
    private static partial void LogMovedAside(ILogger logger, string database, string aside);

    [LoggerMessage(LogLevel.Warning, "Restored {Backup} ({Visits} visits, schema version {Version}) to {Database}")]
    private static partial void LogRestored(ILogger logger, string backup, long? visits, int version, string database);
}
