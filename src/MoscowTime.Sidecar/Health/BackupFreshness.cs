using MoscowTime.Sidecar.Backups;

namespace MoscowTime.Sidecar.Health;

/// <summary>The verdict /healthz and the healthy gauge share: are the backups telling the truth?</summary>
public sealed record BackupFreshness(bool IsFresh, string Reason)
{
    public static BackupFreshness Evaluate(BackupStatus status, BackupOptions options, DateTimeOffset now)
    {
        if (status.LastError is { } error)
        {
            return new(false, $"the last backup attempt failed: {error}");
        }

        if (status.UpToDateAt is not { } upToDateAt)
        {
            return new(false, "no backup pass has finished since the sidecar started");
        }

        var maxAge = options.EffectiveMaxAge;
        var lag = now - upToDateAt;
        if (lag > maxAge)
        {
            var newest = status.Newest is { } file ? $"the newest backup {file.Name}" : "no backup";
            return new(false,
                $"backups are stale: {newest} holds the database as of {Utc(upToDateAt)}, {lag.TotalSeconds:F0} s ago, " +
                $"longer than Backup:MaxAge ({maxAge})");
        }

        return new(true, status.NothingToBackUp is { } nothing
            ? $"nothing to back up: {nothing}"
            : $"{status.Newest?.Name} holds every commit as of {Utc(upToDateAt)}");
    }

    /// <summary>ISO 8601 in UTC with a Z, as the backup names and `date -u` show it.</summary>
    public static string Utc(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
