using System.Globalization;
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

    public static long Total(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = SqliteDatabase.Command(connection, transaction, "SELECT COALESCE(SUM(visits), 0) FROM visit_hours;");
        return (long)command.ExecuteScalar()!;
    }

    internal static void AddToHour(SqliteConnection connection, SqliteTransaction transaction, string hour, long visits)
    {
        using var command = SqliteDatabase.Command(connection, transaction, AddToHourSql);
        command.Parameters.AddWithValue("@hour", hour);
        command.Parameters.AddWithValue("@visits", visits);
        command.ExecuteNonQuery();
    }

    internal static void MarkWritable(SqliteConnection connection, SqliteTransaction transaction, DateTimeOffset at)
    {
        using var command = SqliteDatabase.Command(connection, transaction, MarkWritableSql);
        command.Parameters.AddWithValue("@at", at.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// The visits of each of <paramref name="hours"/> hours from <paramref name="first"/>, and every visit
    /// before the end of them, read from one snapshot so the two agree.
    /// </summary>
    public static (long[] Counts, long TotalBefore) ReadHours(string databasePath, DateTimeOffset first, int hours)
    {
        var index = Enumerable.Range(0, hours).ToDictionary(i => HourOf(first.AddHours(i)), StringComparer.Ordinal);
        var end = HourOf(first.AddHours(hours));
        using var connection = SqliteDatabase.OpenReadOnly(databasePath);
        using var transaction = connection.BeginTransaction(deferred: true);
        var counts = new long[hours];
        using (var command = SqliteDatabase.Command(connection, transaction, "SELECT hour, visits FROM visit_hours WHERE hour >= @from AND hour < @to;"))
        {
            command.Parameters.AddWithValue("@from", HourOf(first));
            command.Parameters.AddWithValue("@to", end);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (index.TryGetValue(reader.GetString(0), out var i))
                {
                    counts[i] = reader.GetInt64(1);
                }
            }
        }

        using var before = SqliteDatabase.Command(connection, transaction, "SELECT COALESCE(SUM(visits), 0) FROM visit_hours WHERE hour < @hour;");
        before.Parameters.AddWithValue("@hour", end);
        return (counts, (long)before.ExecuteScalar()!);
    }
}
