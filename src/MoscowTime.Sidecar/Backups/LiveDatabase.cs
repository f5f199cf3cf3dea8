using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Backups;

/// <summary>Identifies one committed state of the database, as far as this process can tell.</summary>
/// <param name="Connection">Which of our connections read it: versions from different connections never compare equal.</param>
/// <param name="DataVersion"><c>PRAGMA data_version</c> on that connection.</param>
public readonly record struct DatabaseVersion(long Connection, long DataVersion);

/// <summary>
/// The web app's database as the sidecar sees it: one read-only connection, kept open because
/// data_version counts commits per connection. It follows the file's inode: a database replaced
/// under us gets a new connection, which always counts as a change.
/// </summary>
public sealed class LiveDatabase(string path) : IDisposable
{
    private ReadOnlyDatabase? _connection;
    private FileIdentity _identity;
    private long _connectionNumber;

    public string Path { get; } = path;

    /// <returns>The current version; null when there is no database file (yet).</returns>
    public DatabaseVersion? CurrentVersion() =>
        Connect() is { } connection ? Guard(() => new DatabaseVersion(_connectionNumber, connection.DataVersion())) : null;

    /// <summary>Starts the read transaction a backup copies; see <see cref="ReadOnlyDatabase.BeginSnapshot"/>.</summary>
    /// <returns>Null when there is no database file (yet).</returns>
    public (DatabaseSnapshot Snapshot, DatabaseVersion Version)? BeginSnapshot() =>
        Connect() is { } connection
            ? Guard(() =>
            {
                var snapshot = connection.BeginSnapshot();
                return (snapshot, new DatabaseVersion(_connectionNumber, snapshot.DataVersion));
            })
            : null;

    public void Dispose() => Close();

    private ReadOnlyDatabase? Connect()
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
        _connection = ReadOnlyDatabase.Open(Path);
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
}
