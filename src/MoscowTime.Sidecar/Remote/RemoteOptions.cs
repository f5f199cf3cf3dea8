using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Configuration section <c>Backup:Remote</c>, off while <see cref="Url"/> is empty. Credentials are not
/// options, so no options dump shows them: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (see <see cref="ObjectStore"/>),
/// else the AWS SDK's default chain (web identity, Pod Identity).
/// </summary>
// Safe: these [Range(typeof(TimeSpan), …)] attributes are never constructed at run time. Only the validator
// generated below reads them, at build time, into its own copy of RangeAttribute; nothing reflects over them.
[UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Range attributes are read at build time only (OptionsValidator).")]
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
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Backup:Remote:SyncInterval must be between {1} and {2}")]
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a changed database starts a new chain from a whole snapshot: bounds the segments a restore applies.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00", ErrorMessage = "Backup:Remote:SnapshotInterval must be between {1} and {2}")]
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How far back any instant can be restored; older chains are deleted.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "3650.00:00:00", ErrorMessage = "Backup:Remote:Window must be between {1} and {2}")]
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the sidecar restores the newest shipped state from the store alone, to prove the copy restores.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Backup:Remote:DrillInterval must be between {1} and {2}")]
    public TimeSpan DrillInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one request (an upload, a read-back, a listing) may take before it is retried.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Backup:Remote:AttemptTimeout must be between {1} and {2}")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The first pause before a retry; each further one doubles, with jitter.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00", ErrorMessage = "Backup:Remote:RetryDelay must be between {1} and {2}")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether remote backups are on: read from configuration, so a remote's services are registered only then.</summary>
    public static bool IsConfigured(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[$"{Section}:{nameof(Url)}"]);
}

/// <summary>The attributes above, checked by code generated at build time: no reflection, so it works under Native AOT.</summary>
[OptionsValidator]
public sealed partial class RemoteOptionsAttributes : IValidateOptions<RemoteOptions>;
