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
public sealed record DatabaseCheck(string Path, DatabaseCondition Condition, string? Problem, int SchemaVersion = 0, long? Visits = null)
{
    /// <summary>Intact, with a schema this build can open: the only file worth keeping as a backup or restoring.</summary>
    public bool IsUsableBackup => Condition == DatabaseCondition.Intact && SchemaVersion is >= 1 and <= Schema.CurrentVersion;

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

/// <summary>Checks a visits database without changing it: each snapshot before it is kept, the live file and each candidate before a restore.</summary>
public static class DatabaseVerifier
{
    /// <param name="countVisits">Also read the visit total (a third of the cost again): for a restore's log line.</param>
    public static DatabaseCheck Check(string path, bool countVisits = true)
    {
        if (!File.Exists(path))
        {
            return new DatabaseCheck(path, DatabaseCondition.Unreadable, $"{path} does not exist");
        }

        try
        {
            using var connection = SqliteDatabase.OpenReadOnly(path);
            List<string> problems = [.. connection.Query<string>("PRAGMA integrity_check;")];
            if (problems is not ["ok"])
            {
                return new DatabaseCheck(path, DatabaseCondition.Damaged, $"{path} fails integrity_check: {Summarize(problems)}");
            }

            var version = Schema.ReadVersion(connection);
            long? visits = countVisits && version == Schema.CurrentVersion ? VisitQueries.Total(connection) : null;
            return new DatabaseCheck(path, DatabaseCondition.Intact, null, version, visits);
        }
        // The only codes about the file's bytes; the rest (CANTOPEN, IOERR, BUSY…) are about the
        // environment, and a restore that took them for damage would move a healthy database aside.
        catch (SqliteException ex) when (ex.SqliteErrorCode is raw.SQLITE_CORRUPT or raw.SQLITE_NOTADB)
        {
            return new DatabaseCheck(path, DatabaseCondition.Damaged, $"{path} is damaged: {ex.Message}");
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            return new DatabaseCheck(path, DatabaseCondition.Unreadable, $"cannot check {path}: {ex.Message}");
        }
    }

    private static string Summarize(List<string> problems)
    {
        const int Shown = 3;
        var first = string.Join("; ", problems.Take(Shown));
        return problems.Count > Shown ? $"{first}; and {problems.Count - Shown} more" : first;
    }
}
