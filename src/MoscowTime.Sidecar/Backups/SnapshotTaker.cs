using System.Diagnostics;
using Microsoft.Data.Sqlite;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;
using SQLitePCL;

namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// Takes one consistent online backup: copy under a read transaction, fsync, verify, rename.
/// </summary>
/// <remarks>
/// One path for every database: SQLite's online backup API copies from the sidecar's read-only
/// connection straight into a temporary file, in steps so that a timeout or shutdown can stop it
/// between them. A read transaction is opened before the first step and closed right after the last,
/// so every step reads the same snapshot (a concurrent commit does not restart the copy, as it would
/// without one), and the web app's checkpoints are held back only while pages are copied.
/// Straight to the file, because the container's memory limit (128 MiB) is what bounds the sidecar:
/// SQLite's page caches keep the copy's memory constant, while a copy held in memory first costs the
/// database's size on top of the runtime (bench/pod.sh measured the sidecar at its limit that way
/// with 10 MiB). The file is written without a journal and without syncs, into the page cache, and the
/// one fsync comes after the read transaction has ended, so the web app's WAL does not wait for the disk.
/// Nothing here lowers its priority or paces its writes: in a pod the web app and the sidecar are
/// separate containers, whose CPU the kernel shares by their requests' weights and caps by their
/// limits, and a nice value does not reach across that boundary.
/// Until the final rename the copy carries a temporary name that nothing lists or restores, and every
/// failure deletes it.
/// </remarks>
public sealed class SnapshotTaker(BackupCatalog catalog, TimeProvider time)
{
    /// <summary>4 MiB with 4 KiB pages: fine-grained enough to stop within milliseconds.</summary>
    private const int PagesPerStep = 1024;

    /// <summary>Space left free for the web app's WAL (it is truncated to 1 MiB after checkpoints) and some slack.</summary>
    private const long ReservedBytes = 2 * 1024 * 1024;

    /// <param name="sameAs">
    /// A backup a previous process kept: a snapshot with the same content is discarded rather than kept
    /// again. Compared on the copy, after the read transaction has ended.
    /// </param>
    /// <remarks>Blocking work, which the worker runs on a pool thread (Task.Run); exceptions end up in the task.</remarks>
    public Task<BackupOutcome> TakeAsync(LiveDatabase live, BackupFile? sameAs, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(Take(live, sameAs, cancellationToken));
        }
        catch (Exception ex)
        {
            return Task.FromException<BackupOutcome>(ex);
        }
    }

    private BackupOutcome Take(LiveDatabase live, BackupFile? sameAs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        var snapshotAt = time.GetUtcNow();
        var read = live.BeginRead();
        if (read is null)
        {
            return new BackupOutcome.NothingToBackUp(null, $"{live.Path} does not exist yet");
        }

        string? temporary = null;
        try
        {
            string final;
            using (read)
            {
                if (read.SchemaVersion == 0)
                {
                    return new BackupOutcome.NothingToBackUp(read.Version, $"{live.Path} holds no data yet (schema not created)");
                }

                EnsureSpace(live.Path);
                final = catalog.PathFor(snapshotAt);
                temporary = catalog.TemporaryPathFor(final);
                CopyToFile(read.Connection, temporary, cancellationToken);
            }

            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.Sync(temporary);
            var check = DatabaseVerifier.Check(temporary, countVisits: false);
            if (!check.IsUsableBackup)
            {
                throw new BackupFailedException($"the snapshot of {live.Path} was not kept: {check.WhyNotUsable}");
            }

            if (sameAs is not null && SameContent(temporary, sameAs.Path))
            {
                DeleteTemporary(temporary);
                return new BackupOutcome.Unchanged(read.Version, sameAs);
            }

            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.Publish(temporary, final);
            var file = new BackupFile(final, snapshotAt, new FileInfo(final).Length);
            return new BackupOutcome.Kept(read.Version, file, snapshotAt, Stopwatch.GetElapsedTime(started));
        }
        catch
        {
            if (temporary is not null)
            {
                DeleteTemporary(temporary);
            }

            throw;
        }
    }

    private static void CopyToFile(SqliteConnection source, string temporary, CancellationToken cancellationToken)
    {
        using var destination = new SqliteConnection(SqliteDatabase.ConnectionString(temporary, SqliteOpenMode.ReadWriteCreate));
        destination.Open();
        // A journal would only protect a file we delete on any failure; we fsync it ourselves when done.
        Execute(destination, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");
        var backup = raw.sqlite3_backup_init(destination.Handle, "main", source.Handle, "main");
        if (backup is null)
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_errcode(destination.Handle), destination.Handle);
        }

        int step;
        try
        {
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                step = raw.sqlite3_backup_step(backup, PagesPerStep);
            }
            while (step == raw.SQLITE_OK);
        }
        finally
        {
            raw.sqlite3_backup_finish(backup);
        }

        if (step != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(step, destination.Handle);
        }

        // The copied header still says WAL, as the source does. A backup is a single file that any
        // sqlite3 opens read-only anywhere, without creating -wal and -shm files beside it.
        Execute(destination, "PRAGMA journal_mode = DELETE;");
    }

    private static bool SameContent(string copy, string backup)
    {
        try
        {
            return DatabaseFingerprint.Compute(copy) == DatabaseFingerprint.Compute(backup);
        }
        catch (SqliteException)
        {
            // An unreadable older backup is no reason to skip a good new one.
            return false;
        }
    }

    /// <summary>The copy needs about the database's size, WAL included.</summary>
    private void EnsureSpace(string databasePath)
    {
        var size = Length(databasePath) + Length(databasePath + "-wal");
        var needed = size + ReservedBytes;
        var available = new DriveInfo(Path.GetFullPath(catalog.Directory)).AvailableFreeSpace;
        if (available < needed)
        {
            throw new BackupFailedException(
                $"not enough free space in {catalog.Directory} for a backup of {databasePath}: {available} bytes free, " +
                $"{needed} needed (its size plus {ReservedBytes} kept free for the web app); lower Backup:Retain or grow the volume");
        }
    }

    private static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static void DeleteTemporary(string temporary)
    {
        foreach (var suffix in (string[])["", "-journal", "-wal", "-shm"])
        {
            DurableFile.TryDelete(temporary + suffix);
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
