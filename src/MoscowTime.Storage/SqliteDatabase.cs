using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>How every part of MoscowTime opens a visits database.</summary>
public static class SqliteDatabase
{
    /// <summary>How long a statement waits for another connection's lock before SQLITE_BUSY: longer than any commit or backup step holds one, short enough that a stuck lock surfaces as an error.</summary>
    private const int BusyTimeoutMilliseconds = 5000;

    /// <summary>A reader's page cache, in KiB as a negative cache_size: copies and checks read each page once, so SQLite's 2 MiB default only holds memory.</summary>
    private const int ReadCacheKibibytes = -256;

    /// <summary>
    /// Opens the database for the single writer. WAL lets the sidecar read a snapshot while we
    /// write; synchronous=FULL makes a commit durable before a visit is acknowledged.
    /// </summary>
    /// <param name="create">
    /// True only on the first open of a process, which also creates the file's directory: a file that disappears while the
    /// app runs must surface as an error, not be replaced silently by an empty database that restarts the count at zero.
    /// </param>
    public static SqliteConnection OpenWriter(string path, bool create)
    {
        if (create)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        }

        return Open(path, create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite, $"""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA busy_timeout = {BusyTimeoutMilliseconds};
            -- The PVC is 10 MiB and also holds backups. The sidecar checkpoints at 256 frames once shipped; 512 bound the WAL
            -- (about 2 MiB) while it is down or behind. A restart cuts back only past 4 MiB, leaving the ended generation's
            -- last frames for the sidecar to ship (4 MiB ends inside a frame at any page size, so a cut shows).
            PRAGMA wal_autocheckpoint = 512;
            PRAGMA journal_size_limit = 4194304;
            """);
    }

    /// <summary>Opens a database for reading only (the sidecar, operators' checks, tests).</summary>
    public static SqliteConnection OpenReadOnly(string path) =>
        Open(path, SqliteOpenMode.ReadOnly, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA cache_size = {ReadCacheKibibytes};");

    /// <summary>Pooling is off everywhere: a pooled handle would keep a file open after we are done with it, which matters when backups are renamed, restored or a damaged file is moved aside.</summary>
    public static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
        Cache = SqliteCacheMode.Private,
    }.ToString();

    private static SqliteConnection Open(string path, SqliteOpenMode mode, string pragmas)
    {
        var connection = new SqliteConnection(ConnectionString(path, mode));
        try
        {
            connection.Open();
            Execute(connection, pragmas);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
