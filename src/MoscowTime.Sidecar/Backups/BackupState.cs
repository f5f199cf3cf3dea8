namespace MoscowTime.Sidecar.Backups;

/// <summary>What the backup loop knows about the backup directory, as of one moment. /healthz, /livez and /metrics read it.</summary>
/// <param name="Newest">The newest kept backup: taken, or found at start.</param>
/// <param name="Kept">Backups in the backup directory.</param>
/// <param name="UpToDateAt">
/// The copies hold every commit as of this moment: a pass took one, or found nothing changed since
/// the newest. Freshness is measured from here, so a quiet night with no visits is not stale.
/// </param>
/// <param name="NothingToBackUp">Why there is nothing to copy at all yet; null once there is data.</param>
/// <param name="LastError">Why the last pass failed; null once one succeeds.</param>
/// <param name="LastDuration">How long the last backup this process took lasted.</param>
public sealed record BackupStatus(BackupFile? Newest = null, int Kept = 0, DateTimeOffset? UpToDateAt = null, string? NothingToBackUp = null,
    string? LastError = null, DateTimeOffset? LastErrorAt = null, TimeSpan? LastDuration = null, long Taken = 0, long Skipped = 0, long Failed = 0);

/// <summary>The backup loop's shared state: written by its loop only, read by any request.</summary>
public sealed class BackupState(TimeProvider time)
{
    private BackupStatus _status = new();
    private long _heartbeatTicks = time.GetUtcNow().UtcTicks;

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public BackupStatus Status => Volatile.Read(ref _status);

    /// <summary>When the loop last showed it was making progress; liveness reads this.</summary>
    public DateTimeOffset Heartbeat => new(Interlocked.Read(ref _heartbeatTicks), TimeSpan.Zero);

    public void Beat() => Interlocked.Exchange(ref _heartbeatTicks, time.GetUtcNow().UtcTicks);

    /// <summary>What the backup directory holds now.</summary>
    public void Found(IReadOnlyList<BackupFile> backups) =>
        Update(status => status with { Newest = backups.Count > 0 ? backups[0] : null, Kept = backups.Count });

    public void Took(BackupFile newest, DateTimeOffset? upToDateAt, TimeSpan duration) =>
        Update(status => Succeeded(status, newest, upToDateAt, nothingToBackUp: null) with { LastDuration = duration, Taken = status.Taken + 1 });

    /// <param name="nothingToBackUp">Why there is no data to copy; null when it is unchanged since the newest copy.</param>
    public void Skipped(DateTimeOffset? upToDateAt, string? nothingToBackUp = null) =>
        Update(status => Succeeded(status, status.Newest, upToDateAt, nothingToBackUp) with { Skipped = status.Skipped + 1 });

    public void Failed(string reason) =>
        Update(status => status with { LastError = reason, LastErrorAt = time.GetUtcNow(), Failed = status.Failed + 1 });

    private static BackupStatus Succeeded(BackupStatus status, BackupFile? newest, DateTimeOffset? upToDateAt, string? nothingToBackUp) =>
        status with
        {
            Newest = newest,
            UpToDateAt = upToDateAt is { } at && (status.UpToDateAt is not { } known || at > known) ? at : status.UpToDateAt,
            NothingToBackUp = nothingToBackUp,
            LastError = null,
            LastErrorAt = null,
        };

    private void Update(Func<BackupStatus, BackupStatus> change) => Volatile.Write(ref _status, change(Status));
}
