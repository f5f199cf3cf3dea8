using System.Globalization;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Restore;

/// <summary>
/// Puts the newest backup that verifies in place of a lost database, before the web app starts.
/// The policy, case by case (docs/operations.md shows it as a table):
/// <list type="number">
/// <item>An intact database with a schema is left byte for byte, and the store is not asked.</item>
/// <item>An unreadable one (permissions, I/O) is left alone, and restore fails: that says nothing about its content.</item>
/// <item>A missing, empty (no schema) or damaged one gets the newest backup that verifies: the newer of the newest
/// local one and, with a remote configured, this pod's newest state in the store that verifies.</item>
/// <item>A store that cannot be asked fails the restore when no local backup verifies: the pod's history may be
/// out there; with one, that one is restored and the log says so.</item>
/// <item>Backups that exist, none of which verifies, fail the restore: never start from zero.</item>
/// <item>No backup anywhere: a missing or empty database is left for the web app to create (a new
/// pod); a damaged one fails, as nothing can repair it.</item>
/// </list>
/// Nothing is deleted: a damaged or empty file and its -wal/-shm are renamed aside for inspection.
/// </summary>
public sealed partial class DatabaseRestorer(IOptions<BackupOptions> options, BackupCatalog catalog, TimeProvider time,
    ILogger<DatabaseRestorer> logger, RemoteHistory? remote = null)
{
    public const int Restored = 0;
    public const int NothingToDo = 0;
    public const int Failed = 1;

    /// <summary>The note, in the backup directory, that a restore skipped a damaged object in the store.</summary>
    public const string DamagedNote = "restore-damaged.txt";

    /// <summary>The container images' app user; the web app must own and write the file we put back.</summary>
    public const uint AppUser = 1654;

    private static readonly string[] Companions = ["-wal", "-shm", "-journal"];

    /// <summary>A backup that verified, where it came from, and the last commit it holds.</summary>
    /// <param name="Downloaded">A temporary copy from the store, deleted once placed.</param>
    private sealed record Usable(string Path, string Name, DatabaseCheck Check, DateTimeOffset TakenAt, bool Downloaded);

    /// <param name="from">A specific backup to restore instead of the newest (by hand, when the database is gone).</param>
    /// <returns>The process exit code.</returns>
    public async Task<int> RunAsync(string? from = null, CancellationToken cancellationToken = default)
    {
        var path = options.Value.DatabasePath;
        var check = File.Exists(path) ? DatabaseVerifier.Check(path) : null;
        switch (check)
        {
            case { Condition: DatabaseCondition.Intact, SchemaVersion: > 0 }:
                LogHealthy(logger, path, check.SchemaVersion, check.Visits);
                return NothingToDo;
            case { Condition: DatabaseCondition.Unreadable }:
                LogUncheckable(logger, path, check.Problem);
                return Failed;
            case { Condition: DatabaseCondition.Damaged }:
                LogDamaged(logger, path, check.Problem);
                break;
        }

        // Missing (no check), empty (intact, without a schema) or damaged: a backup replaces it.
        var local = from is null ? catalog.List() : [new BackupFile(Path.GetFullPath(from), time.GetUtcNow(), 0)];
        var backup = NewestUsable(local);
        var found = local.Count;
        var why = local.Count == 0 ? $"there is no backup in {catalog.Directory}"
            : $"none of the {local.Count} backups in {catalog.Directory} passes verification";
        if (from is null && remote is not null)
        {
            try
            {
                var chains = await remote.ListAsync(cancellationToken);
                backup = await NewerFromStoreAsync(remote, chains, path, backup, cancellationToken);
                found += chains.Count;
                why += chains.Count > 0 ? $", and none of the {chains.Count} snapshots in {remote.Location} passes verification"
                    : $", and {remote.Location} holds none";
            }
            catch (RemoteUnavailableException ex) when (backup is not null)
            {
                LogUsingLocalWithoutStore(logger, backup.Name, ex.Message);
            }
            catch (RemoteUnavailableException ex)
            {
                LogRemoteUnavailable(logger, path, ex.Message);
                return Failed;
            }
        }

        if (backup is not null)
        {
            Restore(path, missing: check is null, backup);
            return Restored;
        }

        if (found == 0 && check is not { Condition: DatabaseCondition.Damaged })
        {
            LogNothingToRestore(logger, path, why);
            return NothingToDo;
        }

        if (check is null)
        {
            LogMissingAndUnrestorable(logger, path, why);
        }
        else
        {
            LogUnrepairable(logger, path, check.WhyNotUsable, why);
        }

        return Failed;
    }

    private Usable? NewestUsable(IReadOnlyList<BackupFile> local)
    {
        foreach (var candidate in local)
        {
            var check = DatabaseVerifier.Check(candidate.Path);
            if (check.IsUsableBackup)
            {
                return new Usable(candidate.Path, candidate.Name, check, candidate.TakenAt, Downloaded: false);
            }

            LogSkipped(logger, candidate.Name, check.WhyNotUsable);
        }

        return null;
    }

    /// <returns>This pod's newest state in the store that verifies, when it is newer than <paramref name="local"/>; else <paramref name="local"/>.</returns>
    /// <exception cref="RemoteUnavailableException">The store cannot be asked.</exception>
    private async Task<Usable?> NewerFromStoreAsync(RemoteHistory remote, IReadOnlyList<RemoteChain> chains, string path, Usable? local,
        CancellationToken cancellationToken)
    {
        if (await remote.RestoreAsync(chains, DirectoryOf(path), DateTimeOffset.MaxValue, cancellationToken) is not { } stored)
        {
            return local;
        }

        if (stored.Damaged is { } damaged)
        {
            NoteDamaged(damaged, stored.Reached);
        }

        // The newer of the two: the store's last commit against the local backup's snapshot.
        if (local is null || stored.Reached > local.TakenAt)
        {
            return new Usable(stored.Path, $"{remote.Location}{stored.Name}", stored.Check, stored.Reached, Downloaded: true);
        }

        DurableFile.TryDelete(stored.Path);
        return local;
    }

    /// <summary>Leaves the damaged object for the sidecar's /healthz and metrics, until an operator removes the note.</summary>
    private void NoteDamaged(string damaged, DateTimeOffset reached)
    {
        Directory.CreateDirectory(catalog.Directory);
        File.WriteAllText(Path.Combine(catalog.Directory, DamagedNote), $"{damaged} (restored to {Freshness.Utc(reached)})\n");
    }

    /// <summary>Moves what is there aside, then puts the backup in place.</summary>
    /// <param name="missing">Only a -wal/-shm left of the database is moved aside.</param>
    private void Restore(string path, bool missing, Usable backup)
    {
        try
        {
            var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            if (MoveAside(path, missing ? $"orphaned-{stamp}" : $"corrupt-{stamp}") is { } aside)
            {
                LogMovedAside(logger, missing ? $"{path}-wal/-shm" : path, aside);
            }

            Place(backup.Path, path, stamp);
        }
        finally
        {
            if (backup.Downloaded)
            {
                DurableFile.TryDelete(backup.Path);
            }
        }

        LogRestored(logger, backup.Name, backup.Check.Visits, backup.Check.SchemaVersion, path);
    }

    /// <summary>
    /// Renames the database (when there is one) and its -wal/-shm/-journal to <c>visits.db.&lt;label&gt;</c>
    /// and siblings: a -wal left next to the restored file would be replayed into it and damage it,
    /// and together the set still opens in sqlite3 for a post-mortem.
    /// </summary>
    /// <returns>The new name of the database file; null when there was nothing to move.</returns>
    private static string? MoveAside(string database, string label)
    {
        var present = Companions.Prepend("").Where(suffix => File.Exists(database + suffix)).ToList();
        if (present.Count == 0)
        {
            return null;
        }

        var aside = $"{database}.{label}";
        for (var n = 2; File.Exists(aside); n++)
        {
            aside = $"{database}.{label}-{n}";
        }

        // The database last: until it moves, a crash leaves it where the next restore finds it.
        foreach (var suffix in present.Skip(1).Append(present[0]))
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

    private static string DirectoryOf(string path) => Path.GetDirectoryName(Path.GetFullPath(path))!;

    [LoggerMessage(LogLevel.Information, "{Database} is intact (schema version {Version}, {Visits} visits); nothing to restore")]
    private static partial void LogHealthy(ILogger logger, string database, int version, long? visits);

    [LoggerMessage(LogLevel.Error, "Cannot check {Database}, so it is left alone: {Problem}")]
    private static partial void LogUncheckable(ILogger logger, string database, string? problem);

    [LoggerMessage(LogLevel.Warning, "{Database} is damaged: {Problem}")]
    private static partial void LogDamaged(ILogger logger, string database, string? problem);

    [LoggerMessage(LogLevel.Information, "Nothing to restore into {Database}: {Why}. The web app starts a new database")]
    private static partial void LogNothingToRestore(ILogger logger, string database, string why);

    [LoggerMessage(LogLevel.Critical, "{Database} is lost and the remote backups cannot be asked: {Reason}. Refusing to let the web app start from zero")]
    private static partial void LogRemoteUnavailable(ILogger logger, string database, string reason);

    [LoggerMessage(LogLevel.Warning, "The store cannot be asked ({Reason}); restoring the newest local backup, {Backup}, which may be older than the store's")]
    private static partial void LogUsingLocalWithoutStore(ILogger logger, string backup, string reason);

    [LoggerMessage(LogLevel.Warning, "Skipping backup {Backup}: {Problem}")]
    private static partial void LogSkipped(ILogger logger, string backup, string? problem);

    [LoggerMessage(LogLevel.Critical, "{Database} is lost ({Problem}) and cannot be repaired: {Why}. It is left in place; move it aside to start an empty database, or copy a good backup to its path")]
    private static partial void LogUnrepairable(ILogger logger, string database, string? problem, string why);

    [LoggerMessage(LogLevel.Critical, "{Database} is missing and cannot be restored: {Why}. Refusing to let the web app start from zero; move the damaged backups away to accept an empty database")]
    private static partial void LogMissingAndUnrestorable(ILogger logger, string database, string why);

    [LoggerMessage(LogLevel.Warning, "Moved {Database} aside to {Aside}")]
    private static partial void LogMovedAside(ILogger logger, string database, string aside);

    [LoggerMessage(LogLevel.Warning, "Restored {Backup} ({Visits} visits, schema version {Version}) to {Database}")]
    private static partial void LogRestored(ILogger logger, string backup, long? visits, int version, string database);
}
