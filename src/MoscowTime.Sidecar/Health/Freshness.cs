using MoscowTime.Sidecar.Backups;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// The verdict /healthz and the healthy gauge share: do the local backups hold every commit as of at
/// most Backup:MaxAge ago? A failure needs a person (full disk, unwritable directory, damaged
/// database) and is unhealthy at once.
/// </summary>
public sealed record Freshness(bool IsFresh, string Reason)
{
    public static Freshness Evaluate(BackupState state, TimeSpan maxAge, DateTimeOffset now)
    {
        var status = state.Status;
        if (status.LastError is { } failed)
        {
            return new(false, $"the last backup attempt failed: {failed}");
        }

        if (status.UpToDateAt is not { } upToDateAt)
        {
            return new(false, $"no pass has confirmed the backups in the {(now - state.StartedAt).TotalSeconds:F0} s since the sidecar started");
        }

        var lag = now - upToDateAt;
        if (lag > maxAge)
        {
            var newest = status.Newest is { } file ? $"the newest backup {file.Name}" : "no backup";
            return new(false,
                $"backups are stale: {newest} holds the database as of {Utc(upToDateAt)}, " +
                $"{lag.TotalSeconds:F0} s ago, longer than Backup:MaxAge ({maxAge})");
        }

        return new(true, status.NothingToBackUp is { } nothing
            ? $"nothing to back up: {nothing}"
            : $"{status.Newest?.Name} holds every commit as of {Utc(upToDateAt)}");
    }

    /// <summary>ISO 8601 in UTC with a Z, as the backup names and `date -u` show it.</summary>
    public static string Utc(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
