using System.Diagnostics;
using Microsoft.Data.Sqlite;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Backups;

/// <summary>Takes one consistent online backup: copy under a read transaction, fsync, verify, rename.</summary>
/// <remarks>
/// The copy goes straight to a file, not through memory: the container's 128 MiB limit bounds the
/// sidecar, and SQLite's page cache keeps the copy's memory constant. The read transaction ends right
/// after the copy, so the fsync and the verification do not hold back the web app's checkpoints.
/// No nice value or pacing: the kernel shares CPU between the pod's containers by their requests.
/// Until the final rename the copy has a temporary name nothing lists or restores; any failure deletes it.
/// </remarks>
public sealed class SnapshotTaker(BackupCatalog catalog, TimeProvider time)
{
    /// <summary>Space left free for the web app's WAL (it is truncated to 1 MiB after checkpoints) and some slack.</summary>
    private const long ReservedBytes = 2 * 1024 * 1024;

    /// <param name="sameAs">A backup a previous process kept: a copy with the same content is discarded.</param>
    /// <remarks>Blocking work, which the callers run on a pool thread (Task.Run).</remarks>
    public BackupOutcome Take(LiveDatabase live, BackupFile? sameAs, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var started = Stopwatch.GetTimestamp();
        var snapshotAt = time.GetUtcNow();
        var final = catalog.PathFor(snapshotAt);
        var temporary = catalog.TemporaryPathFor(final);
        if (live.BeginSnapshot() is not (var snapshot, var version))
        {
            return new BackupOutcome.NothingToBackUp(null, $"{live.Path} does not exist yet");
        }

        try
        {
            using (snapshot)
            {
                if (snapshot.SchemaVersion == 0)
                {
                    return new BackupOutcome.NothingToBackUp(version, $"{live.Path} holds no data yet (schema not created)");
                }

                EnsureSpace(live.Path);
                snapshot.CopyTo(temporary, cancellationToken);
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
                return new BackupOutcome.Unchanged(version, sameAs);
            }

            cancellationToken.ThrowIfCancellationRequested();
            DurableFile.Publish(temporary, final);
            var file = new BackupFile(final, snapshotAt, new FileInfo(final).Length);
            return new BackupOutcome.Kept(version, file, snapshotAt, Stopwatch.GetElapsedTime(started));
        }
        catch
        {
            DeleteTemporary(temporary);
            throw;
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

    /// <summary>The copy needs about the database's size, WAL included.</summary>
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
}
