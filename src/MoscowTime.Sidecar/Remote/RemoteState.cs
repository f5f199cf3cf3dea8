namespace MoscowTime.Sidecar.Remote;

/// <summary>What the upload loop knows, as of one moment; /healthz and /metrics read it.</summary>
public sealed record RemoteStatus
{
    /// <summary>The newest object confirmed to equal its local backup, and the time its name carries.</summary>
    public string? NewestName { get; init; }

    public DateTimeOffset? NewestTakenAt { get; init; }

    /// <summary>
    /// The store holds every commit as of this moment: the newest local backup was confirmed there,
    /// and the local backups were up to date as of then. Freshness is measured from here, so an idle
    /// database does not read as a stale remote copy.
    /// </summary>
    public DateTimeOffset? UpToDateAt { get; init; }

    public DateTimeOffset? LastUploadAt { get; init; }
    public TimeSpan? LastUploadDuration { get; init; }
    public long? LastUploadBytes { get; init; }

    /// <summary>Why the last pass failed; null once one succeeds.</summary>
    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    public long Uploads { get; init; }
    public long Failures { get; init; }

    /// <summary>Passes finished, whatever their outcome.</summary>
    public long Passes { get; init; }
}

/// <summary>The upload loop's shared state: written by the loop only, read by any request.</summary>
public sealed class RemoteState(TimeProvider time)
{
    private readonly Lock _gate = new();
    private RemoteStatus _status = new();

    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();

    public RemoteStatus Status => Volatile.Read(ref _status);

    /// <param name="upload">How long the upload and its confirmation took, and the bytes sent; null when the object was already there.</param>
    public void Confirmed(string name, DateTimeOffset takenAt, DateTimeOffset? upToDateAt, (TimeSpan Duration, long Bytes)? upload) =>
        Update(status => status with
        {
            NewestName = name,
            NewestTakenAt = takenAt,
            UpToDateAt = Later(status.UpToDateAt, upToDateAt),
            LastUploadAt = upload is null ? status.LastUploadAt : time.GetUtcNow(),
            LastUploadDuration = upload?.Duration ?? status.LastUploadDuration,
            LastUploadBytes = upload?.Bytes ?? status.LastUploadBytes,
            LastError = null,
            LastErrorAt = null,
            Uploads = status.Uploads + (upload is null ? 0 : 1),
            Passes = status.Passes + 1,
        });

    /// <summary>No local backup to send (no data yet): the store is missing nothing.</summary>
    public void NothingToUpload(DateTimeOffset? upToDateAt) =>
        Update(status => status with
        {
            UpToDateAt = Later(status.UpToDateAt, upToDateAt),
            LastError = null,
            LastErrorAt = null,
            Passes = status.Passes + 1,
        });

    public void Failed(string reason) =>
        Update(status => status with
        {
            LastError = reason,
            LastErrorAt = time.GetUtcNow(),
            Failures = status.Failures + 1,
            Passes = status.Passes + 1,
        });

    private static DateTimeOffset? Later(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private void Update(Func<RemoteStatus, RemoteStatus> change)
    {
        lock (_gate)
        {
            Volatile.Write(ref _status, change(_status));
        }
    }
}
