using MoscowTime.Sidecar.Backups;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// The verdict /healthz and the healthy gauges share: do the copies hold every commit as of at most
/// Backup:MaxAge ago? One rule for the backup directory and the store, apart from failures: a local
/// one needs a person (full disk, unwritable directory, damaged database) and is unhealthy at once,
/// while a failed upload is retried by the next pass and counts only once the store is stale, and the
/// first upload gets MaxAge from the start to happen.
/// </summary>
public sealed record Freshness(bool IsFresh, string Reason)
{
    public static Freshness Evaluate(BackupState state, TimeSpan maxAge, DateTimeOffset now)
    {
        var status = state.Status;
        var remote = state.Store is not null;
        var place = remote ? $" in {state.Store}" : "";
        if (!remote && status.LastError is { } failed)
        {
            return new(false, $"the last backup attempt failed: {failed}");
        }

        var error = status.LastError is { } last ? $"; last error: {last}" : "";
        if (status.UpToDateAt is not { } upToDateAt)
        {
            var since = now - state.StartedAt;
            return remote && since <= maxAge
                ? new(true, $"the first upload to {state.Store} is pending{error}")
                : new(false, $"no pass has confirmed the backups{place} in the {since.TotalSeconds:F0} s since the sidecar started{error}");
        }

        var newest = status.Newest is { } file ? $"the newest {(remote ? "remote copy" : "backup")} {file.Name}" : "no backup";
        var lag = now - upToDateAt;
        if (lag > maxAge)
        {
            return new(false,
                $"{(remote ? "remote backups" : "backups")} are stale: {newest}{place} holds the database as of {Utc(upToDateAt)}, " +
                $"{lag.TotalSeconds:F0} s ago, longer than Backup:MaxAge ({maxAge}){error}");
        }

        return new(true, status.NothingToBackUp is { } nothing
            ? $"nothing to back up: {nothing}{error}"
            : $"{status.Newest?.Name}{place} holds every commit as of {Utc(upToDateAt)}{error}");
    }

    /// <summary>ISO 8601 in UTC with a Z, as the backup names and `date -u` show it.</summary>
    public static string Utc(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
