using Dapper;
using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>The schema, versioned with <c>PRAGMA user_version</c> and migrated forward at start.</summary>
/// <remarks>
/// Version 2 keeps one counter per UTC hour, not a row per visit (version 1): the file grows with the
/// pod's age, not its traffic, and fits a 10 MiB volume. A fresh file is built through every step,
/// as an old one is upgraded.
/// </remarks>
public static class Schema
{
    public const int CurrentVersion = 2;

    private static readonly string[] Steps =
    [
        // 0 -> 1
        """
        CREATE TABLE visits (
            id         INTEGER PRIMARY KEY,
            visited_at TEXT NOT NULL
        );
        """,
        // 1 -> 2
        """
        CREATE TABLE visit_hours (
            hour   TEXT    NOT NULL PRIMARY KEY,  -- UTC hour, 'YYYY-MM-DD HH:00'
            visits INTEGER NOT NULL CHECK (visits >= 0)
        ) WITHOUT ROWID;
        INSERT INTO visit_hours (hour, visits)
            SELECT strftime('%Y-%m-%d %H:00', visited_at), COUNT(*) FROM visits GROUP BY 1;
        DROP TABLE visits;
        CREATE TABLE meta (
            key   TEXT NOT NULL PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ];

    public static int ReadVersion(SqliteConnection connection) =>
        connection.ExecuteScalar<int>("PRAGMA user_version;");

    /// <summary>Brings the database to <see cref="CurrentVersion"/>; each step commits on its own.</summary>
    /// <returns>The version the file had before.</returns>
    public static int Migrate(SqliteConnection connection)
    {
        var found = ReadVersion(connection);
        if (found > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The database has schema version {found}, newer than this build understands ({CurrentVersion}). " +
                "Run a newer build or restore an older backup.");
        }

        for (var version = found; version < CurrentVersion; version++)
        {
            using var transaction = connection.BeginTransaction();
            SqliteDatabase.Execute(connection, Steps[version], transaction);
            SqliteDatabase.Execute(connection, $"PRAGMA user_version = {version + 1};", transaction);
            transaction.Commit();
        }

        return found;
    }
}
