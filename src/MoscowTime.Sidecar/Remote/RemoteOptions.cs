namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Configuration section <c>Backup:Remote</c>, off while <see cref="Url"/> is empty. Credentials are not
/// options, so no options dump shows them: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (see <see cref="ObjectStore"/>),
/// else the AWS SDK's default chain (web identity, Pod Identity).
/// </summary>
public sealed class RemoteOptions
{
    public const string Section = "Backup:Remote";

    /// <summary><c>s3://&lt;bucket&gt;/&lt;prefix&gt;</c>; each pod's objects go under <c>&lt;prefix&gt;/&lt;POD_NAME&gt;/</c>.</summary>
    public string? Url { get; set; }

    /// <summary>Base URL of an S3-compatible service (path-style addressing); empty means AWS S3.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Falls back to <c>AWS_REGION</c>; with an Endpoint it only names the signing region.</summary>
    public string? Region { get; set; }

    /// <summary>This pod's place in the store; falls back to <c>POD_NAME</c> (the downward API).</summary>
    public string? PodName { get; set; }

    /// <summary>Replaced by <see cref="Window"/>: set, it is ignored with one warning at start.</summary>
    public string? Retain { get; set; }

    /// <summary>How soon a commit's frames are in the store (plus the upload's own time): how often the WAL is read.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a changed database starts a new chain from a whole snapshot: bounds the segments a restore applies.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How far back any instant can be restored; older chains are deleted.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the sidecar restores the newest shipped state from the store alone, to prove the copy restores.</summary>
    public TimeSpan DrillInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one request (an upload, a read-back, a listing) may take before it is retried.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first pause before a retry; each further one doubles, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether remote backups are on: read from configuration, so a remote's services are registered only then.</summary>
    public static bool IsConfigured(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[$"{Section}:{nameof(Url)}"]);
}
