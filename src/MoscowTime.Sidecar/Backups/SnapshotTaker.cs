using System.Diagnostics;
using Microsoft.Data.Sqlite;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;
using SQLitePCL;

namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// Takes one consistent online backup: copy under a read transaction, verify, fsync, rename.
/// </summary>
/// <remarks>
/// The copy uses SQLite's online backup API from the sidecar's read-only connection, in steps so that
/// a timeout or shutdown can stop it between them. The read transaction is opened before the first
/// step and closed right after the last, so every step reads the same snapshot (a concurrent commit
/// does not restart the copy, as it would without one) and the web app's checkpoints are held back
/// only while pages are being copied, never across the verification or the fsync.
/// Until the final rename the copy carries a temporary name that nothing lists or restores, and every
/// failure deletes it.
/// </remarks>
public sealed class SnapshotTaker(BackupCatalog catalog, TimeProvider time)
{
    /// <summary>4 MiB with 4 KiB pages: fine-grained enough to stop within milliseconds.</summary>
    internal const int PagesPerStep = 1024;

    /// <summary>Space left free for the web app's WAL (it is truncated to 1 MiB after checkpoints) and some slack.</summary>
    private const long ReservedBytes = 2 * 1024 * 1024;

    public BackupOutcome Take(LiveDatabase live, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        var snapshotAt = time.GetUtcNow();
        var read = live.BeginRead();
        if (read is null)
        {
            return new BackupOutcome.NothingToBackUp(null, $"{live.Path} does not exist yet");
        }

        string final;
        string temporary;
        using (read)
        {
            if (read.SchemaVersion == 0)
            {
                return new BackupOutcome.NothingToBackUp(read.Version, $"{live.Path} holds no data yet (schema not created)");
            }

            EnsureSpace(live.Path);
            final = catalog.PathFor(snapshotAt);
            temporary = catalog.TemporaryPathFor(final);
            try
            {
                Copy(read, temporary, cancellationToken);
            }
            catch
            {
                DeleteTemporary(temporary);
                throw;
            }
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.Sync(temporary);
            var check = DatabaseVerifier.Check(temporary);
            if (!check.IsUsableBackup)
            {
                throw new BackupFailedException($"the snapshot of {live.Path} was not kept: {check.WhyNotUsable}");
            }

            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.Publish(temporary, final);
            var file = new BackupFile(final, snapshotAt, new FileInfo(final).Length);
            return new BackupOutcome.Kept(read.Version, file, snapshotAt, check.Visits, Stopwatch.GetElapsedTime(started));
        }
        catch
        {
            DeleteTemporary(temporary);
            throw;
        }
    }

    private static void Copy(SnapshotRead read, string temporary, CancellationToken cancellationToken)
    {
        using var destination = new SqliteConnection(SqliteDatabase.ConnectionString(temporary, SqliteOpenMode.ReadWriteCreate));
        destination.Open();
        // A journal would only protect a file we delete on any failure; we fsync it ourselves when done.
        Execute(destination, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");

        var backup = raw.sqlite3_backup_init(destination.Handle, "main", read.Connection.Handle, "main");
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

    private void EnsureSpace(string databasePath)
    {
        var needed = Length(databasePath) + Length(databasePath + "-wal") + ReservedBytes;
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
