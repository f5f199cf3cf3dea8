using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using MoscowTime.Storage;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Pages;

/// <summary>This pod's visits per UTC hour over the last 24 hours, starting with the oldest.</summary>
/// <param name="Labels">Each hour's start on Moscow's wall clock ("13:00").</param>
public sealed record HourlyVisits(IReadOnlyList<string> Labels, IReadOnlyList<long> Counts)
{
    public long Total => Counts.Sum();
}

/// <summary>
/// The last 24 hours of <c>visit_hours</c> for the page, without a query per visit: the 23 finished
/// hours and the total before this hour are read at most once a minute, and this hour's count is
/// the visit's own number minus that total, so it agrees with the count the page shows.
/// </summary>
public sealed class VisitHistory(IOptions<VisitStoreOptions> options, MoscowClock clock, TimeProvider time)
{
    public const int Hours = 24;

    /// <summary>
    /// Why re-read within the hour at all: visits queued just before the hour turned commit just
    /// after it, and a restore can replace the file under a running app.
    /// </summary>
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromMinutes(1);

    private readonly string _databasePath = options.Value.DatabasePath;
    private readonly Lock _reading = new();
    private volatile Earlier? _earlier;

    /// <param name="visitsNow">This pod's count including the visit being served.</param>
    /// <returns>Null when the file cannot be read; the page then goes without its chart.</returns>
    public HourlyVisits? Last24Hours(long visitsNow)
    {
        var now = time.GetUtcNow();
        var thisHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var earlier = Fresh(_earlier, thisHour, now) ?? ReadOnce(thisHour, now);
        if (earlier is null)
        {
            return null;
        }

        long[] counts = [.. earlier.Counts, Math.Max(0, visitsNow - earlier.TotalBefore)];
        return new HourlyVisits(earlier.Labels, counts);
    }

    private static Earlier? Fresh(Earlier? earlier, DateTimeOffset thisHour, DateTimeOffset now) =>
        earlier is not null && earlier.ThisHour == thisHour && now - earlier.ReadAt < RefreshAfter ? earlier : null;

    private Earlier? ReadOnce(DateTimeOffset thisHour, DateTimeOffset now)
    {
        // One reader at a time: when the hour turns, the first visit reads and the others use it.
        lock (_reading)
        {
            if (Fresh(_earlier, thisHour, now) is { } read)
            {
                return read;
            }

            try
            {
                return _earlier = Read(thisHour, now);
            }
            catch (SqliteException)
            {
                // The visit was committed, so this is rare and passing (a restore swapping the file):
                // the page is served without the chart, and the next visit tries again.
                return null;
            }
        }
    }

    private Earlier Read(DateTimeOffset thisHour, DateTimeOffset now)
    {
        var first = thisHour.AddHours(1 - Hours);
        using var connection = SqliteDatabase.OpenReadOnly(_databasePath);
        // One snapshot for both reads: the hours and the total before them agree.
        using var transaction = connection.BeginTransaction(deferred: true);
        var stored = VisitQueries.HoursBetween(connection, transaction, first, thisHour).ToDictionary(hour => hour.Hour, hour => hour.Visits, StringComparer.Ordinal);
        var totalBefore = VisitQueries.TotalBefore(connection, transaction, thisHour);
        var counts = Enumerable.Range(0, Hours - 1).Select(i => stored.GetValueOrDefault(VisitQueries.HourOf(first.AddHours(i)))).ToArray();
        // Formatted here, once a minute, rather than 30 times per page.
        var labels = Enumerable.Range(0, Hours)
            .Select(i => clock.InMoscow(first.AddHours(i)).ToString("HH:mm", CultureInfo.InvariantCulture))
            .ToArray();
        return new Earlier(thisHour, now, counts, totalBefore, labels);
    }

    private sealed record Earlier(DateTimeOffset ThisHour, DateTimeOffset ReadAt, long[] Counts, long TotalBefore, string[] Labels);
}
