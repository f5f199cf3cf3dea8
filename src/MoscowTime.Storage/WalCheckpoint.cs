using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MoscowTime.Storage;

/// <summary>The backup sidecar's checkpoint, which keeps the WAL short once its frames are shipped.</summary>
public static class WalCheckpoint
{
    /// <summary>
    /// <c>PRAGMA wal_checkpoint(PASSIVE)</c> on a read-write connection of its own with no busy timeout: it copies the
    /// frames no reader still needs and never waits for, or holds up, the writer.
    /// </summary>
    public static void Passive(string databasePath)
    {
        using var connection = new SqliteConnection(SqliteDatabase.ConnectionString(databasePath, SqliteOpenMode.ReadWrite));
        connection.Open();
        // A first read puts the connection in WAL mode; until then a checkpoint does nothing.
        SqliteDatabase.Execute(connection, "PRAGMA busy_timeout = 0; PRAGMA schema_version;");
        // Closing the last connection would otherwise checkpoint everything and delete the WAL: the shipper's place.
        raw.sqlite3_db_config(connection.Handle, raw.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, out _);
        var rc = raw.sqlite3_wal_checkpoint_v2(connection.Handle, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out _, out _);
        if (rc != raw.SQLITE_BUSY)
        {
            // Busy is another checkpoint running, which keeps the WAL short as well.
            SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        }
    }
}
