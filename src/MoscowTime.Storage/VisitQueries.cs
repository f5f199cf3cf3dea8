using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>Every SQL statement on the visit tables, in one place.</summary>
public static class VisitQueries
{
    public const string HourFormat = "yyyy-MM-dd HH:00";

    public static string HourOf(DateTimeOffset at) =>
        at.UtcDateTime.ToString(HourFormat, CultureInfo.InvariantCulture);

    public static long Total(SqliteConnection connection, SqliteTransaction? transaction = null) =>
        connection.ExecuteScalar<long>("SELECT COALESCE(SUM(visits), 0) FROM visit_hours;", transaction: transaction);

    public const string AddToHourSql = """
        INSERT INTO visit_hours (hour, visits) VALUES (@hour, @visits)
        ON CONFLICT (hour) DO UPDATE SET visits = visits + excluded.visits;
        """;

    /// <summary>A real write that changes no visit: proves the file takes commits again after a failure.</summary>
    public const string MarkWritableSql = """
        INSERT INTO meta (key, value) VALUES ('last_write_check', @at)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
        """;

    public static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>The hours from <paramref name="from"/> up to, not including, <paramref name="to"/>: a range of the primary key.</summary>
    public static IReadOnlyList<HourCount> HoursBetween(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset from, DateTimeOffset to) =>
        connection.Query<HourCount>(
            "SELECT hour AS Hour, visits AS Visits FROM visit_hours WHERE hour >= @from AND hour < @to ORDER BY hour;",
            new { from = HourOf(from), to = HourOf(to) },
            transaction).AsList();

    /// <summary>Every visit counted before the hour of <paramref name="hour"/>.</summary>
    public static long TotalBefore(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset hour) =>
        connection.ExecuteScalar<long>(
            "SELECT COALESCE(SUM(visits), 0) FROM visit_hours WHERE hour < @hour;", new { hour = HourOf(hour) }, transaction);
}

public sealed record HourCount(string Hour, long Visits);
