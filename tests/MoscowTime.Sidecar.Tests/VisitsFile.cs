using Dapper;
using Microsoft.Data.Sqlite;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>Real visits databases for tests, written through the storage library as the web app would.</summary>
internal static class VisitsFile
{
    public static readonly DateTimeOffset Start = new(2026, 11, 24, 21, 0, 0, TimeSpan.Zero);

    /// <summary>A WAL-mode database with the current schema and <paramref name="visits"/> visits.</summary>
    public static void Create(string path, long visits)
    {
        using var connection = SqliteDatabase.OpenWriter(path, create: true);
        Schema.Migrate(connection);
        Add(connection, visits, Start);
    }

    public static void AddVisits(string path, long visits, DateTimeOffset? at = null)
    {
        using var connection = SqliteDatabase.OpenWriter(path, create: false);
        Add(connection, visits, at ?? Start);
    }

    /// <summary>Grows the file by about <paramref name="mebibytes"/> MiB, so a backup takes a while.</summary>
    public static void Pad(string path, int mebibytes)
    {
        using var connection = SqliteDatabase.OpenWriter(path, create: false);
        connection.Execute($"""
            CREATE TABLE IF NOT EXISTS padding (chunk BLOB NOT NULL);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {mebibytes})
            INSERT INTO padding SELECT randomblob(1048576) FROM n;
            PRAGMA wal_checkpoint(TRUNCATE);
            """);
    }

    /// <summary>Garbage over every page but the first, the way a failing disk or a stray write would: the header still looks fine.</summary>
    public static void Corrupt(string path) => DatabaseDamage.Inflict(path, Damage.Garbage);

    /// <summary>A backup file with <paramref name="visits"/> visits under the name the sidecar would give it.</summary>
    public static string Backup(string directory, string databasePath, DateTimeOffset takenAt, long visits)
    {
        Directory.CreateDirectory(directory);
        var path = new BackupCatalog(directory, databasePath).PathFor(takenAt);
        Create(path, visits);
        using (var connection = SqliteDatabase.OpenWriter(path, create: false))
        {
            connection.Execute("PRAGMA journal_mode = DELETE;");
        }

        return path;
    }

    public static DatabaseCheck Check(string path) => DatabaseVerifier.Check(path);

    private static void Add(SqliteConnection connection, long visits, DateTimeOffset at)
    {
        if (visits == 0)
        {
            return;
        }

        using var transaction = connection.BeginTransaction();
        Databases.AddVisits(connection, transaction, at, visits);
        transaction.Commit();
    }
}
