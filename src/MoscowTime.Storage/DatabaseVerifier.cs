using Dapper;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MoscowTime.Storage;

/// <summary>What <see cref="DatabaseVerifier"/> found in one file.</summary>
public enum DatabaseCondition
{
    /// <summary>Passes <c>PRAGMA integrity_check</c>.</summary>
    Intact,

    /// <summary>SQLite itself says the file is damaged or not a database.</summary>
    Damaged,

    /// <summary>The file could not be checked (permissions, I/O, locks): says nothing about its content.</summary>
    Unreadable,
}

/// <summary>The verdict on one file, with the facts a log line or a restore decision needs.</summary>
/// <param name="SchemaVersion">The file's <c>PRAGMA user_version</c>; 0 for a file no one has migrated yet.</param>
/// <param name="Visits">The visit total, when counted and the schema is the current one.</param>
public sealed record DatabaseCheck(string Path, DatabaseCondition Condition, string? Problem, int SchemaVersion, long? Visits)
{
    public bool IsIntact => Condition == DatabaseCondition.Intact;

    /// <summary>
    /// Intact and written by a build that this one can open: the only kind of file worth keeping as a
    /// backup or putting back in place of a lost database.
    /// </summary>
    public bool IsUsableBackup => IsIntact && SchemaVersion is >= 1 and <= Schema.CurrentVersion;

    /// <summary>Why the file is not a usable backup, for logs and health.</summary>
    public string? WhyNotUsable => Condition switch
    {
        not DatabaseCondition.Intact => Problem,
        _ when SchemaVersion < 1 => $"{Path} holds no visits schema (user_version {SchemaVersion})",
        _ when SchemaVersion > Schema.CurrentVersion =>
            $"{Path} has schema version {SchemaVersion}, newer than this build understands ({Schema.CurrentVersion})",
        _ => null,
    };
}

/// <summary>
/// Checks a visits database without changing it: the backup sidecar runs this on every snapshot
/// before keeping it, and the restore command on the live file and on each candidate backup.
/// </summary>
public static class DatabaseVerifier
{
    /// <param name="countVisits">
    /// Also read the visit total (a full scan, a third of the cost again): worth it for a restore's
    /// log line, not for a backup taken every minute.
    /// </param>
    public static DatabaseCheck Check(string path, bool countVisits = true)
    {
        if (!File.Exists(path))
        {
            return new DatabaseCheck(path, DatabaseCondition.Unreadable, $"{path} does not exist", 0, null);
        }

        try
        {
            using var connection = SqliteDatabase.OpenReadOnly(path);
            var problems = connection.Query<string>("PRAGMA integrity_check;").AsList();
            if (problems is not ["ok"])
            {
                return new DatabaseCheck(path, DatabaseCondition.Damaged,
                    $"{path} fails integrity_check: {Summarize(problems)}", 0, null);
            }

            var version = Schema.ReadVersion(connection);
            long? visits = countVisits && version == Schema.CurrentVersion ? VisitQueries.Total(connection) : null;
            return new DatabaseCheck(path, DatabaseCondition.Intact, null, version, visits);
        }
        // The only codes that say something about the bytes in the file. Everything else (CANTOPEN,
        // IOERR, PERM, BUSY…) is about the environment, and a restore that took those for damage
        // would move a healthy database aside.
        catch (SqliteException ex) when (ex.SqliteErrorCode is raw.SQLITE_CORRUPT or raw.SQLITE_NOTADB)
        {
            return new DatabaseCheck(path, DatabaseCondition.Damaged, $"{path} is damaged: {ex.Message}", 0, null);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            return new DatabaseCheck(path, DatabaseCondition.Unreadable, $"cannot check {path}: {ex.Message}", 0, null);
        }
    }

    private static string Summarize(List<string> problems)
    {
        const int Shown = 3;
        var first = string.Join("; ", problems.Take(Shown));
        return problems.Count > Shown ? $"{first}; and {problems.Count - Shown} more" : first;
    }
}
