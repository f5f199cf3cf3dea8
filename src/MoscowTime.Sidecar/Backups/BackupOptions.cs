using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace MoscowTime.Sidecar.Backups;

/// <summary>Configuration section <c>Backup</c> (environment: <c>Backup__Interval</c> and so on).</summary>
// Safe: these [Range(typeof(TimeSpan), …)] attributes are never constructed at run time. Only the validator
// generated below reads them, at build time, into its own copy of RangeAttribute; nothing reflects over them.
[UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Range attributes are read at build time only (OptionsValidator).")]
public sealed class BackupOptions
{
    public const string Section = "Backup";

    /// <summary>The web app's database. Container: <c>/data/visits.db</c>.</summary>
    [Required(ErrorMessage = "Backup:DatabasePath is required")]
    public string DatabasePath { get; set; } = "data/visits.db";

    /// <summary>Where verified backups are kept. Container: <c>/data/backups</c>.</summary>
    [Required(ErrorMessage = "Backup:Directory is required")]
    public string Directory { get; set; } = "data/backups";

    /// <summary>How often to look for changes and back them up.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "1.00:00:00", ErrorMessage = "Backup:Interval must be between {1} and {2}")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many backups to keep, newest first.</summary>
    [Range(1, 10_000, ErrorMessage = "Backup:Retain must be between {1} and {2}")]
    public int Retain { get; set; } = 24;

    /// <summary>How long the newest backup may lag behind the database before /healthz reports 503; unset, three intervals.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "30.00:00:00", ErrorMessage = "Backup:MaxAge must be between {1} and {2}")]
    public TimeSpan? MaxAge { get; set; }

    /// <summary>How long one backup attempt may take before it is abandoned (and retried).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = "Backup:AttemptTimeout must be between {1} and {2}")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On SIGTERM, how long the database must stay unchanged before the final backup, which the web app's last visits belong in.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "Backup:FinalBackupQuietPeriod must be between {1} and {2}")]
    public TimeSpan FinalBackupQuietPeriod { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan EffectiveMaxAge => MaxAge ?? Interval * 3;
}

/// <summary>The attributes above, checked by code generated at build time: no reflection, so it works under Native AOT.</summary>
[OptionsValidator]
public sealed partial class BackupOptionsAttributes : IValidateOptions<BackupOptions>;
