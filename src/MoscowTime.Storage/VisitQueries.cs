using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>Every SQL statement on the visit tables, in one place.</summary>
public static class VisitQueries
{
    public const string HourFormat = "yyyy-MM-dd HH:00";

    public const string AddToHourSql = """
        INSERT INTO visit_hours (hour, visits) VALUES (@hour, @visits)
        ON CONFLICT (hour) DO UPDATE SET visits = visits + excluded.visits;
        """;

    /// <summary>A real write that changes no visit: proves the file takes commits again after a failure.</summary>
    private const string MarkWritableSql = """
        INSERT INTO meta (key, value) VALUES ('last_write_check', @at)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
        """;

    public static string HourOf(DateTimeOffset at) =>
        at.UtcDateTime.ToString(HourFormat, CultureInfo.InvariantCulture);

    public static long Total(SqliteConnection connection) =>
        connection.ExecuteScalar<long>("SELECT COALESCE(SUM(visits), 0) FROM visit_hours;");

    internal static void AddToHour(SqliteConnection connection, SqliteTransaction transaction, string hour, long visits) =>
        connection.Execute(AddToHourSql, new { hour, visits }, transaction);

    internal static void MarkWritable(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset at) =>
        connection.Execute(MarkWritableSql, new { at = at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) }, transaction);

    /// <summary>
    /// The visits of each of <paramref name="hours"/> hours from <paramref name="first"/>, and every visit
    /// before the end of them, read from one snapshot so the two agree.
    /// </summary>
    public static (long[] Counts, long TotalBefore) ReadHours(string databasePath, DateTimeOffset first, int hours)
    {
        var end = HourOf(first.AddHours(hours));
        using var connection = SqliteDatabase.OpenReadOnly(databasePath);
        using var transaction = connection.BeginTransaction(deferred: true);
        var stored = connection.Query<HourVisits>(
                "SELECT hour AS Hour, visits AS Visits FROM visit_hours WHERE hour >= @from AND hour < @end;", new { from = HourOf(first), end }, transaction)
            .ToDictionary(row => row.Hour, row => row.Visits, StringComparer.Ordinal);
        long[] counts = [.. Enumerable.Range(0, hours).Select(i => stored.GetValueOrDefault(HourOf(first.AddHours(i))))];
        return (counts, connection.ExecuteScalar<long>("SELECT COALESCE(SUM(visits), 0) FROM visit_hours WHERE hour < @end;", new { end }, transaction));
    }

    // Internal, not private: Dapper.AOT silently generates no reader for a private type, and reflection does not run under Native AOT.
    internal sealed record HourVisits(string Hour, long Visits);
}
