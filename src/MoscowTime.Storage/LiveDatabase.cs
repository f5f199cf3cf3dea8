using System.Runtime.InteropServices;
using Dapper;
using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>Identifies one committed state of the database, as far as this process can tell.</summary>
/// <param name="Connection">Which of our connections read it: versions from different connections never compare equal.</param>
/// <param name="DataVersion">
/// <c>PRAGMA data_version</c> on that connection: changes when another connection commits, and only then (in WAL mode
/// size and mtime do not).
/// </param>
public readonly record struct DatabaseVersion(long Connection, long DataVersion);

/// <summary>
/// The web app's database as the backup sidecar sees it: one read-only connection, kept open because data_version
/// counts commits per connection, and holding no transaction between calls, so it never pins the web app's WAL.
/// It follows the file's inode: a database replaced under us gets a new connection, which always counts as a change.
/// </summary>
public sealed class LiveDatabase(string path) : IDisposable
{
    private SqliteConnection? _connection;
    private FileIdentity _identity;
    private long _connectionNumber;

    public string Path { get; } = path;

    /// <returns>The current version; null when there is no database file (yet).</returns>
    public DatabaseVersion? CurrentVersion() => Connect() is { } connection ? Guard(() => Version(connection, null)) : null;

    /// <summary>Starts the read transaction a backup copies: until the snapshot is disposed, the connection sees one consistent state.</summary>
    /// <returns>Null when there is no database file (yet).</returns>
    public (DatabaseSnapshot Snapshot, DatabaseVersion Version)? BeginSnapshot() =>
        Connect() is { } connection
            ? Guard(() =>
            {
                var transaction = connection.BeginTransaction(deferred: true);
                try
                {
                    // BEGIN alone takes no snapshot; the first read does. user_version is that read.
                    var schemaVersion = connection.ExecuteScalar<int>("PRAGMA user_version;", transaction: transaction);
                    return (new DatabaseSnapshot(connection, transaction, schemaVersion), Version(connection, transaction));
                }
                catch
                {
                    transaction.Dispose();
                    throw;
                }
            })
            : null;

    public void Dispose() => Close();

    private DatabaseVersion Version(SqliteConnection connection, SqliteTransaction? transaction) =>
        new(_connectionNumber, connection.ExecuteScalar<long>("PRAGMA data_version;", transaction: transaction));

    private SqliteConnection? Connect()
    {
        // Looked up before opening: if the file is swapped in between, we hold the newer file under the
        // older identity, and the next look opens it again; the other order could miss the swap.
        var identity = IdentityOf(Path);
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

    /// <summary>The (device, inode) pair naming the file at <paramref name="path"/>; null when there is none.</summary>
    /// <remarks>statx, not stat: its buffer has one layout on every architecture, so no per-platform struct.</remarks>
    private static FileIdentity? IdentityOf(string path)
    {
        const int CurrentDirectory = -100; // AT_FDCWD
        const uint Wanted = 0x100; // STATX_INO
        const int NoSuchFile = 2; // ENOENT
        // struct statx: 256 bytes, stx_ino at 32, stx_dev_major and stx_dev_minor at 136 and 140.
        const int Size = 256, Inode = 32, DeviceMajor = 136, DeviceMinor = 140;
        Span<byte> buffer = stackalloc byte[Size];
        if (StatX(CurrentDirectory, path, 0, Wanted, ref MemoryMarshal.GetReference(buffer)) != 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error == NoSuchFile ? null
                : throw new IOException($"statx {path} failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})", error);
        }

        return new FileIdentity(BitConverter.ToUInt32(buffer[DeviceMajor..]), BitConverter.ToUInt32(buffer[DeviceMinor..]), BitConverter.ToUInt64(buffer[Inode..]));
    }

    /// <summary>Which file a path named at one moment: a replaced or restored file gets a new one.</summary>
    private readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int StatX(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
}
