using Dapper;
using MoscowTime.Storage;

namespace MoscowTime.Testing;

public sealed record HourCount(string Hour, long Visits);

/// <summary>Reads a visits file the way an operator's sqlite3 would: a separate, read-only connection.</summary>
public static class Databases
{
    public static long StoredVisits(string path)
    {
        using var connection = SqliteDatabase.OpenReadOnly(path);
        return VisitQueries.Total(connection);
    }

    /// <summary>Every stored hour, oldest first.</summary>
    public static IReadOnlyList<HourCount> StoredHours(string path)
    {
        using var connection = SqliteDatabase.OpenReadOnly(path);
        return connection.Query<HourCount>("SELECT hour AS Hour, visits AS Visits FROM visit_hours ORDER BY hour;").AsList();
    }

    /// <summary>Adds visits to the hour of <paramref name="at"/> with the writer's own statement, without a writer.</summary>
    public static void AddVisits(Microsoft.Data.Sqlite.SqliteConnection connection, Microsoft.Data.Sqlite.SqliteTransaction transaction, DateTimeOffset at, long visits) =>
        connection.Execute(VisitQueries.AddToHourSql, new { hour = VisitQueries.HourOf(at), visits }, transaction);

    public static int UserVersion(string path)
    {
        using var connection = SqliteDatabase.OpenReadOnly(path);
        return Schema.ReadVersion(connection);
    }

    public static string IntegrityCheck(string path)
    {
        using var connection = SqliteDatabase.OpenReadOnly(path);
        return string.Join("; ", connection.Query<string>("PRAGMA integrity_check;"));
    }

    /// <summary>Writes a version-1 file (one row per visit), as an old build would have left it.</summary>
    public static void CreateVersion1(string path, IEnumerable<DateTimeOffset> visits)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
            SqliteDatabase.ConnectionString(path, Microsoft.Data.Sqlite.SqliteOpenMode.ReadWriteCreate));
        connection.Open();
        connection.Execute("CREATE TABLE visits (id INTEGER PRIMARY KEY, visited_at TEXT NOT NULL); PRAGMA user_version = 1;");
        using var transaction = connection.BeginTransaction();
        foreach (var at in visits)
        {
            connection.Execute("INSERT INTO visits (visited_at) VALUES (@at)",
                new { at = at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) }, transaction);
        }

        transaction.Commit();
    }
}
