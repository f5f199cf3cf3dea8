using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MoscowTime.Storage;

/// <summary>An open read transaction on the live database: the state a backup copies.</summary>
public sealed class DatabaseSnapshot(SqliteConnection connection, SqliteTransaction transaction, int schemaVersion) : IDisposable
{
    /// <summary>4 MiB with 4 KiB pages: fine-grained enough to stop within milliseconds.</summary>
    private const int PagesPerStep = 1024;

    /// <summary>0 until the web app has created its schema: such a file holds nothing worth a backup.</summary>
    public int SchemaVersion { get; } = schemaVersion;

    /// <summary>
    /// Copies the snapshot to a new file with SQLite's online backup API, in cancellable steps; every step reads this
    /// snapshot, so a concurrent commit does not restart the copy. No journal and no syncs: the caller deletes the file on
    /// failure and fsyncs it after the read transaction has ended, so the web app's WAL does not wait for the disk.
    /// </summary>
    public void CopyTo(string path, CancellationToken cancellationToken)
    {
        using var destination = new SqliteConnection(SqliteDatabase.ConnectionString(path, SqliteOpenMode.ReadWriteCreate));
        destination.Open();
        SqliteDatabase.Execute(destination, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");
        var backup = raw.sqlite3_backup_init(destination.Handle, "main", connection.Handle, "main");
        if (backup is null)
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_errcode(destination.Handle), destination.Handle);
        }

        int step;
        using (backup)
        {
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                step = raw.sqlite3_backup_step(backup, PagesPerStep);
            }
            while (step == raw.SQLITE_OK);
        }

        if (step != raw.SQLITE_DONE)
        {
            SqliteException.ThrowExceptionForRC(step, destination.Handle);
        }

        // The copied header says WAL; a backup must be one file that sqlite3 opens read-only anywhere.
        SqliteDatabase.Execute(destination, "PRAGMA journal_mode = DELETE;");
    }

    /// <summary>Ends the read transaction, letting checkpoints pass the point it was reading.</summary>
    public void Dispose() => transaction.Dispose();
}
