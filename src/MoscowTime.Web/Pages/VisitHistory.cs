using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using MoscowTime.Storage;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Pages;

/// <summary>This pod's last 24 hours: the 23 finished ones as read, and this one so far.</summary>
public sealed record HourlyVisits(FinishedHours Finished, long ThisHour)
{
    public long Total => Finished.Total + ThisHour;
}

/// <summary>The 23 finished hours before this one, oldest first, as read from the file.</summary>
public sealed class FinishedHours
{
    private volatile Drawing? _drawn;

    internal FinishedHours(DateTimeOffset thisHour, DateTimeOffset readAt, long[] counts, long totalBefore, string[] labels)
    {
        ThisHourStart = thisHour;
        ReadAt = readAt;
        Counts = counts;
        TotalBefore = totalBefore;
        Labels = labels;
        Total = counts.Sum();
        for (var i = 0; i < counts.Length; i++)
        {
            // The later of equal hours: "busiest" then reads as the most recent peak.
            if (counts[i] >= counts[Busiest])
            {
                Busiest = i;
            }
        }
    }

    public IReadOnlyList<long> Counts { get; }

    /// <summary>Each of the 24 hours' start on Moscow's wall clock ("13:00"), this hour last.</summary>
    public IReadOnlyList<string> Labels { get; }

    public long Total { get; }
    public int Busiest { get; }
    public long Most => Counts[Busiest];

    internal DateTimeOffset ThisHourStart { get; }
    internal DateTimeOffset ReadAt { get; }

    /// <summary>Every visit counted before this hour.</summary>
    internal long TotalBefore { get; }

    /// <summary>
    /// These hours drawn at one scale, kept: under load every visit changes only this hour's bar,
    /// and the scale only when it outgrows a step.
    /// </summary>
    public byte[] DrawnAt(long scale, Func<FinishedHours, long, byte[]> draw)
    {
        if (_drawn is { } drawn && drawn.Scale == scale)
        {
            return drawn.Svg;
        }

        var svg = draw(this, scale);
        _drawn = new Drawing(scale, svg);
        return svg;
    }

    private sealed record Drawing(long Scale, byte[] Svg);
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
    private volatile FinishedHours? _finished;

    /// <param name="visitsNow">This pod's count including the visit being served.</param>
    /// <returns>Null when the file cannot be read; the page then goes without its chart.</returns>
    public HourlyVisits? Last24Hours(long visitsNow)
    {
        var now = time.GetUtcNow();
        var thisHour = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var finished = Fresh(_finished, thisHour, now) ?? ReadOnce(thisHour, now);
        return finished is null ? null : new HourlyVisits(finished, Math.Max(0, visitsNow - finished.TotalBefore));
    }

    private static FinishedHours? Fresh(FinishedHours? finished, DateTimeOffset thisHour, DateTimeOffset now) =>
        finished is not null && finished.ThisHourStart == thisHour && now - finished.ReadAt < RefreshAfter ? finished : null;

    private FinishedHours? ReadOnce(DateTimeOffset thisHour, DateTimeOffset now)
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
                return _finished = Read(thisHour, now);
            }
            catch (SqliteException)
            {
                // The visit was committed, so this is rare and passing (a restore swapping the file):
                // the page is served without the chart, and the next visit tries again.
                return null;
            }
        }
    }

    private FinishedHours Read(DateTimeOffset thisHour, DateTimeOffset now)
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
        return new FinishedHours(thisHour, now, counts, totalBefore, labels);
    }
}
