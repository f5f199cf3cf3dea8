using Microsoft.Data.Sqlite;

namespace MoscowTime.Storage;

/// <summary>This pod's visits per UTC hour over the last 24 hours, oldest first, this hour last.</summary>
public sealed record HourlyVisits(DateTimeOffset FirstHour, IReadOnlyList<long> Counts)
{
    public long Total => Counts.Sum();
}

/// <summary>
/// The last 24 hours for the page without a query per visit: the finished hours and the total before this
/// hour are read at most once a minute; this hour's count is the visit's number minus that total.
/// </summary>
public sealed class VisitHistory(IOptions<VisitStoreOptions> options, TimeProvider time)
{
    public const int Hours = 24;

    /// <summary>Re-read within the hour: visits queued as the hour turned commit after it, and a restore can replace the file.</summary>
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromMinutes(1);

    private readonly string _databasePath = options.Value.DatabasePath;
    private readonly Lock _reading = new();
    private volatile Finished? _finished;

    /// <param name="visitsNow">This pod's count including the visit being served.</param>
    /// <returns>Null when the file cannot be read; the page then goes without its chart.</returns>
    public HourlyVisits? Last24Hours(long visitsNow)
    {
        var now = time.GetUtcNow();
        var thisHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var finished = Fresh(_finished, thisHour, now) ?? ReadOnce(thisHour, now);
        if (finished is null)
        {
            return null;
        }

        long[] counts = [.. finished.Counts, Math.Max(0, visitsNow - finished.TotalBefore)];
        return new HourlyVisits(thisHour.AddHours(1 - Hours), counts);
    }

    private static Finished? Fresh(Finished? finished, DateTimeOffset thisHour, DateTimeOffset now) =>
        finished is not null && finished.ThisHour == thisHour && now - finished.ReadAt < RefreshAfter ? finished : null;

    private Finished? ReadOnce(DateTimeOffset thisHour, DateTimeOffset now)
    {
        // One reader at a time: when the hour turns, the first visit reads and the others use it.
        lock (_reading)
        {
            if (Fresh(_finished, thisHour, now) is { } read)
            {
                return read;
            }

            try
            {
                var (counts, totalBefore) = VisitQueries.ReadHours(_databasePath, thisHour.AddHours(1 - Hours), Hours - 1);
                return _finished = new Finished(thisHour, now, counts, totalBefore);
            }
            catch (SqliteException)
            {
                // Rare and passing (a restore swapping the file): the next visit tries again.
                return null;
            }
        }
    }

    /// <summary>The finished hours before <see cref="ThisHour"/> and every visit counted before it.</summary>
    private sealed record Finished(DateTimeOffset ThisHour, DateTimeOffset ReadAt, long[] Counts, long TotalBefore);
}
