using Dapper;
using Microsoft.Data.Sqlite;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Backups;

/// <summary>Identifies one committed state of the database, as far as this process can tell.</summary>
/// <param name="Connection">Which of our connections read it: versions from different connections never compare equal.</param>
/// <param name="DataVersion"><c>PRAGMA data_version</c> on that connection.</param>
public readonly record struct DatabaseVersion(long Connection, long DataVersion);

/// <summary>
/// The web app's database as the sidecar sees it: one read-only connection, kept open so that
/// <c>PRAGMA data_version</c> can tell whether anyone committed since we last looked.
/// </summary>
/// <remarks>
/// Why data_version and not the file: in WAL mode commits go to the -wal file and the header's change
/// counter (bytes 24-27) is not updated, while the main file's mtime and size move only at
/// checkpoints. data_version is per connection, hence the long-lived one; between calls it holds no
/// transaction (each PRAGMA is its own, gone when it returns), so it never pins the WAL.
/// The connection follows the file's inode: a database restored or replaced under us gets a new
/// connection, and a new connection always counts as a change.
/// </remarks>
public sealed class LiveDatabase(string path) : IDisposable
{
    private SqliteConnection? _connection;
    private FileIdentity _identity;
    private long _connectionNumber;

    public string Path { get; } = path;

    /// <returns>The current version; null when there is no database file (yet).</returns>
    public DatabaseVersion? CurrentVersion()
    {
        var connection = Connect();
        return connection is null ? null : Guard(() => new DatabaseVersion(_connectionNumber, ReadDataVersion(connection, null)));
    }

    /// <summary>
    /// Starts a read transaction: from here until the returned read is disposed, the connection sees
    /// one consistent snapshot while the web app keeps committing to the WAL.
    /// </summary>
    /// <returns>Null when there is no database file (yet).</returns>
    public SnapshotRead? BeginRead()
    {
        var connection = Connect();
        if (connection is null)
        {
            return null;
        }

        return Guard(() =>
        {
            var transaction = connection.BeginTransaction(deferred: true);
            try
            {
                // BEGIN alone takes no snapshot; the first read does. user_version is that read.
                var schemaVersion = connection.ExecuteScalar<int>("PRAGMA user_version;", transaction: transaction);
                var version = new DatabaseVersion(_connectionNumber, ReadDataVersion(connection, transaction));
                return new SnapshotRead(connection, transaction, version, schemaVersion);
            }
            catch
            {
                transaction.Dispose();
                throw;
            }
        });
    }

    public void Dispose() => Close();

    private SqliteConnection? Connect()
    {
        // Looked up before opening: if the file is swapped in between, we hold the newer file under the
        // older identity, and the next look opens it again; the other order could miss the swap.
        var identity = Posix.IdentityOf(Path);
        if (identity is null)
        {
            Close();
            return null;
        }

        if (_connection is not null && identity == _identity)
        {
            return _connection;
        }

        Close();
        _connection = SqliteDatabase.OpenReadOnly(Path);
        _identity = identity.Value;
        _connectionNumber++;
        return _connection;
    }

    /// <summary>After any error the connection is suspect (deleted file, I/O error): start afresh next time.</summary>
    private T Guard<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch
        {
            Close();
            throw;
        }
    }

    private void Close()
    {
        _connection?.Dispose();
        _connection = null;
    }

    private static long ReadDataVersion(SqliteConnection connection, SqliteTransaction? transaction) =>
        connection.ExecuteScalar<long>("PRAGMA data_version;", transaction: transaction);
}

/// <summary>An open read transaction on the live database: the snapshot a backup copies.</summary>
public sealed class SnapshotRead(SqliteConnection connection, SqliteTransaction transaction, DatabaseVersion version, int schemaVersion)
    : IDisposable
{
    public SqliteConnection Connection { get; } = connection;
    public SqliteTransaction Transaction { get; } = transaction;
    public DatabaseVersion Version { get; } = version;

    /// <summary>0 until the web app has created its schema: such a file holds nothing worth a backup.</summary>
    public int SchemaVersion { get; } = schemaVersion;

    /// <summary>Ends the read transaction, letting checkpoints pass the point we were reading.</summary>
    public void Dispose() => Transaction.Dispose();
}
