namespace MoscowTime.Sidecar.Backups;

/// <summary>What the backup loop knows, as of one moment; /healthz, /livez and /metrics read it.</summary>
public sealed record BackupStatus
{
    /// <summary>The newest kept backup, whether this process took it or found it at start.</summary>
    public BackupFile? Newest { get; init; }

    public int Kept { get; init; }

    /// <summary>
    /// The last moment the loop confirmed that the backups hold every committed visit: by taking one,
    /// by finding the database unchanged since the newest, or by finding no data to back up.
    /// Freshness is measured from here, so a quiet night with no visits is not a stale backup.
    /// </summary>
    public DateTimeOffset? UpToDateAt { get; init; }

    /// <summary>Why the database needs no backup at all yet; null once it holds data.</summary>
    public string? NothingToBackUp { get; init; }

    /// <summary>Why the last attempt failed; null once one succeeds.</summary>
    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    public TimeSpan? LastDuration { get; init; }

    public long Taken { get; init; }
    public long Skipped { get; init; }
    public long Failed { get; init; }
}

/// <summary>The backup loop's shared state: written by the worker only, read by any request.</summary>
public sealed class BackupState(TimeProvider time)
{
    private readonly Lock _gate = new();
    private BackupStatus _status = new();
    private long _heartbeatTicks = time.GetUtcNow().UtcTicks;

    public BackupStatus Status => Volatile.Read(ref _status);

    /// <summary>When the loop last showed it was making progress; liveness reads this.</summary>
    public DateTimeOffset Heartbeat => new(Interlocked.Read(ref _heartbeatTicks), TimeSpan.Zero);

    public void Beat() => Interlocked.Exchange(ref _heartbeatTicks, time.GetUtcNow().UtcTicks);

    public void Found(IReadOnlyList<BackupFile> backups) =>
        Update(status => status with { Newest = backups.Count > 0 ? backups[0] : null, Kept = backups.Count });

    public void Took(IReadOnlyList<BackupFile> backups, DateTimeOffset snapshotAt, TimeSpan duration) =>
        Update(status => status with
        {
            Newest = backups.Count > 0 ? backups[0] : null,
            Kept = backups.Count,
            UpToDateAt = snapshotAt,
            NothingToBackUp = null,
            LastError = null,
            LastErrorAt = null,
            LastDuration = duration,
            Taken = status.Taken + 1,
        });

    /// <param name="nothingToBackUp">Why there is no data to back up; null when the data is unchanged since the newest backup.</param>
    public void Skipped(string? nothingToBackUp) =>
        Update(status => status with
        {
            UpToDateAt = time.GetUtcNow(),
            NothingToBackUp = nothingToBackUp,
            LastError = null,
            LastErrorAt = null,
            Skipped = status.Skipped + 1,
        });

    public void Failed(string reason) =>
        Update(status => status with { LastError = reason, LastErrorAt = time.GetUtcNow(), Failed = status.Failed + 1 });

    private void Update(Func<BackupStatus, BackupStatus> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _status, change(_status));
        }
    }
}
