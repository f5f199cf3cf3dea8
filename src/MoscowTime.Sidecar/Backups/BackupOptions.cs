namespace MoscowTime.Sidecar.Backups;

/// <summary>Configuration section <c>Backup</c> (environment: <c>Backup__Interval</c> and so on).</summary>
public sealed class BackupOptions
{
    public const string Section = "Backup";

    /// <summary>The web app's database. Container: <c>/data/visits.db</c>.</summary>
    public string DatabasePath { get; set; } = "data/visits.db";

    /// <summary>Where verified backups are kept. Container: <c>/data/backups</c>.</summary>
    public string Directory { get; set; } = "data/backups";

    /// <summary>How often to look for changes and back them up.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How many backups to keep, newest first.</summary>
    public int Retain { get; set; } = 24;

    /// <summary>How long the newest backup may lag behind the database before /healthz reports 503; unset, three intervals.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>How long one backup attempt may take before it is abandoned (and retried).</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>On SIGTERM, how long the database must stay unchanged before the final backup, which the web app's last visits belong in.</summary>
    public TimeSpan FinalBackupQuietPeriod { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan EffectiveMaxAge => MaxAge ?? Interval * 3;
}
