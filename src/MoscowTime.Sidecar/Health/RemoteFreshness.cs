using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// The remote part of /healthz and the remote healthy gauge: does the store hold every commit as of
/// at most Backup:MaxAge ago? A failed upload alone is not yet unhealthy: the next pass retries it.
/// </summary>
public sealed record RemoteFreshness(bool IsFresh, string Reason)
{
    public static RemoteFreshness Evaluate(RemoteStatus status, DateTimeOffset startedAt, RemoteLocation location, BackupOptions options,
        DateTimeOffset now)
    {
        var maxAge = options.EffectiveMaxAge;
        var error = status.LastError is { } last ? $"; last error: {last}" : "";
        if (status.UpToDateAt is not { } upToDateAt)
        {
            return now - startedAt > maxAge
                ? new(false, $"no remote copy in {location} confirmed in the {(now - startedAt).TotalSeconds:F0} s since the sidecar started, longer than Backup:MaxAge ({maxAge}){error}")
                : new(true, $"the first upload to {location} is pending{error}");
        }

        var lag = now - upToDateAt;
        var newest = status.NewestName is { } name ? $"the newest remote copy {name}" : "the store";
        if (lag > maxAge)
        {
            return new(false,
                $"remote backups are stale: {newest} in {location} holds the database as of {BackupFreshness.Utc(upToDateAt)}, " +
                $"{lag.TotalSeconds:F0} s ago, longer than Backup:MaxAge ({maxAge}){error}");
        }

        return new(true, $"{newest} in {location} holds every commit as of {BackupFreshness.Utc(upToDateAt)}{error}");
    }
}
