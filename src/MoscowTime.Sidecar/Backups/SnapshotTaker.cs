using System.Diagnostics;
using Microsoft.Data.Sqlite;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;
using SQLitePCL;

namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// Takes one consistent online backup: copy under a read transaction, write out, verify, rename.
/// </summary>
/// <remarks>
/// The copy uses SQLite's online backup API from the sidecar's read-only connection, in steps so that
/// a timeout or shutdown can stop it between them. A read transaction is opened before the first step
/// and closed right after the last, so every step reads the same snapshot (a concurrent commit does
/// not restart the copy, as it would without one), and the web app's checkpoints are held back only
/// while pages are copied.
/// The copy goes to memory first: that takes half the time of writing a file, and it leaves the
/// writing for later, off the read transaction and at low priority, in 1 MiB steps each fsynced and
/// followed by a pause. Written in one burst and fsynced once, 10 MiB queue the web app's own
/// fsyncs behind them: with a 10 MiB backup every second, bench/backup.sh measured the web app's
/// p99 at about 1.5 times its value without backups written in one burst, about 1.3 times paced.
/// A database too large to keep in memory (<see cref="InMemoryLimit"/>) is copied straight to disk.
/// Until the final rename the copy carries a temporary name that nothing lists or restores, and every
/// failure deletes it.
/// </remarks>
public sealed class SnapshotTaker(BackupCatalog catalog, LowPriorityThread verifier, TimeProvider time)
{
    /// <summary>4 MiB with 4 KiB pages: fine-grained enough to stop within milliseconds.</summary>
    internal const int PagesPerStep = 1024;

    /// <summary>Beyond this the copy skips memory and goes straight to disk (the container has 128 MiB).</summary>
    internal const long InMemoryLimit = 32 * 1024 * 1024;

    /// <summary>1 MiB with 4 KiB pages, then an fsync and <see cref="WritePause"/>.</summary>
    private const int PagesPerWriteStep = 256;

    private static readonly TimeSpan WritePause = TimeSpan.FromMilliseconds(10);

    /// <summary>Space left free for the web app's WAL (it is truncated to 1 MiB after checkpoints) and some slack.</summary>
    private const long ReservedBytes = 2 * 1024 * 1024;

    /// <param name="sameAs">
    /// A backup a previous process kept: a snapshot with the same content is discarded rather than kept
    /// again. Compared on the copy, after the read transaction has ended.
    /// </param>
    public async Task<BackupOutcome> TakeAsync(LiveDatabase live, BackupFile? sameAs, CancellationToken cancellationToken)
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
        SqliteConnection? inMemory = null;
        try
        {
            string final;
            using (read)
            {
                if (read.SchemaVersion == 0)
                {
                    return new BackupOutcome.NothingToBackUp(read.Version, $"{live.Path} holds no data yet (schema not created)");
                }

                var size = EnsureSpace(live.Path);
                final = catalog.PathFor(snapshotAt);
                temporary = catalog.TemporaryPathFor(final);
                if (size <= InMemoryLimit)
                {
                    inMemory = CopyToMemory(read.Connection, cancellationToken);
                }
                else
                {
                    CopyToFile(read.Connection, temporary, paced: false, cancellationToken);
                }
            }

            var check = await verifier.RunAsync(() =>
            {
                if (inMemory is not null)
                {
                    CopyToFile(inMemory, temporary, paced: true, cancellationToken);
                }

                cancellationToken.ThrowIfCancellationRequested();
                DurableFile.Sync(temporary);
                return DatabaseVerifier.Check(temporary, countVisits: false);
            });
            if (!check.IsUsableBackup)
            {
                throw new BackupFailedException($"the snapshot of {live.Path} was not kept: {check.WhyNotUsable}");
            }

            if (sameAs is not null && await verifier.RunAsync(() => SameContent(temporary, sameAs.Path)))
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
        finally
        {
            inMemory?.Dispose();
        }
    }

    private static SqliteConnection CopyToMemory(SqliteConnection source, CancellationToken cancellationToken)
    {
        var memory = new SqliteConnection("Data Source=:memory:");
        try
        {
            memory.Open();
            Copy(source, memory, PagesPerStep, afterStep: null, cancellationToken);
            return memory;
        }
        catch
        {
            memory.Dispose();
            throw;
        }
    }

    /// <param name="paced">Fsync and pause after every 1 MiB, so the web app's fsyncs get their turn.</param>
    private static void CopyToFile(SqliteConnection source, string temporary, bool paced, CancellationToken cancellationToken)
    {
        using var destination = new SqliteConnection(SqliteDatabase.ConnectionString(temporary, SqliteOpenMode.ReadWriteCreate));
        destination.Open();
        // A journal would only protect a file we delete on any failure; we fsync it ourselves when done.
        Execute(destination, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");
        if (paced)
        {
            // fsync flushes the file's dirty pages whichever descriptor wrote them.
            using var file = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            Copy(source, destination, PagesPerWriteStep, () =>
            {
                file.Flush(flushToDisk: true);
                Thread.Sleep(WritePause); // a throttle in real time, whatever clock the app is given
            }, cancellationToken);
        }
        else
        {
            Copy(source, destination, PagesPerStep, afterStep: null, cancellationToken);
        }

        // The copied header still says WAL, as the source does. A backup is a single file that any
        // sqlite3 opens read-only anywhere, without creating -wal and -shm files beside it.
        Execute(destination, "PRAGMA journal_mode = DELETE;");
    }

    private static void Copy(SqliteConnection source, SqliteConnection destination, int pagesPerStep, Action? afterStep,
        CancellationToken cancellationToken)
    {
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
                step = raw.sqlite3_backup_step(backup, pagesPerStep);
                afterStep?.Invoke();
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

    /// <returns>The database's size, WAL included: about what the copy needs.</returns>
    private long EnsureSpace(string databasePath)
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

        return size;
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
