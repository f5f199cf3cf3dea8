using System.Diagnostics.Metrics;
using MoscowTime.ServiceDefaults;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Observability;

/// <summary>
/// The sidecar's figures as observable instruments: read from <see cref="BackupState"/>, the shipper's <see cref="ShippingState"/>
/// and the restore drill's <see cref="DrillStatus"/> when Prometheus scrapes, so they always agree with /healthz. Help texts are in the
/// Exported lists.
/// </summary>
public sealed class BackupMeters
{
    public const string MeterName = "MoscowTime.Backups";
    public const string RemoteMeterName = "MoscowTime.Backups.Remote";

    /// <summary>The Prometheus names alerts are written against: keep them.</summary>
    private static readonly ExportedMetric[] Exported =
    [
        new(MeterName, "taken", MetricKind.Counter, "moscowtime_backups_taken_total", "Backups taken, verified and kept."),
        new(MeterName, "skipped", MetricKind.Counter, "moscowtime_backups_skipped_total",
            "Passes that took no backup: database unchanged or holding no data yet."),
        new(MeterName, "failed", MetricKind.Counter, "moscowtime_backups_failed_total", "Passes whose backup failed after its retries."),
        new(MeterName, "last_duration", MetricKind.Gauge, "moscowtime_backup_last_duration_seconds",
            "Time the last backup took: copy, fsync, verify and rename."),
        new(MeterName, "last_size", MetricKind.Gauge, "moscowtime_backup_last_size_bytes", "Size of the newest kept backup."),
        new(MeterName, "age", MetricKind.Gauge, "moscowtime_backup_age_seconds", "Age of the newest kept backup (NaN when there is none)."),
        new(MeterName, "kept", MetricKind.Gauge, "moscowtime_backups_kept", "Backups in the backup directory."),
        new(MeterName, "healthy", MetricKind.Gauge, "moscowtime_backup_healthy", "1 while /healthz answers 200, else 0: alert on this, not on age."),
    ];

    /// <summary>Exported only with a remote configured.</summary>
    private static readonly ExportedMetric[] ExportedRemote =
    [
        new(RemoteMeterName, "uploads", MetricKind.Counter, "moscowtime_backup_remote_uploads_total",
            "Objects (snapshots and segments) confirmed in the store (by ETag or read-back)."),
        new(RemoteMeterName, "upload_failures", MetricKind.Counter, "moscowtime_backup_remote_upload_failures_total",
            "Shipping passes that failed after their retries."),
        new(RemoteMeterName, "healthy", MetricKind.Gauge, "moscowtime_backup_remote_healthy", "1 while the remote part of /healthz is fine, else 0."),
        new(RemoteMeterName, "lag", MetricKind.Gauge, "moscowtime_backup_remote_lag_seconds",
            "How long the oldest commit not yet confirmed in the store has waited; 0 when the store holds every commit."),
        new(RemoteMeterName, "first_recoverable", MetricKind.Gauge, "moscowtime_backup_remote_first_recoverable_timestamp_seconds",
            "The first instant a restore from the store can reach, Unix seconds (NaN until the store was listed)."),
        new(RemoteMeterName, "drill_last_success", MetricKind.Gauge, "moscowtime_backup_restore_drill_last_success_timestamp_seconds",
            "Unix time of the last restore drill that succeeded (0 before the first)."),
        new(RemoteMeterName, "drill_duration", MetricKind.Gauge, "moscowtime_backup_restore_drill_duration_seconds",
            "Time the last successful restore drill took."),
        new(RemoteMeterName, "drill_interval", MetricKind.Gauge, "moscowtime_backup_restore_drill_interval_seconds", "Backup:Remote:DrillInterval."),
        new(RemoteMeterName, "damaged_objects", MetricKind.Gauge, "moscowtime_backup_restore_damaged_objects",
            "Damaged objects the last restore drill skipped, or a restore noted; 0 when none."),
    ];

    /// <summary>What /metrics exports: the backup figures, and the remote and restore drill ones when a remote is configured.</summary>
    public static ExportedMetric[] ExportedFor(IConfiguration configuration) =>
        RemoteOptions.IsConfigured(configuration) ? [.. Exported, .. ExportedRemote] : Exported;

    /// <param name="shipping">Registered only when a remote is configured, as is <paramref name="drill"/>.</param>
    public BackupMeters(IMeterFactory meterFactory, BackupState state, IOptions<BackupOptions> options, IOptions<RemoteOptions> remote,
        TimeProvider time, ShippingState? shipping = null, DrillStatus? drill = null)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("taken", () => state.Status.Taken, "{backup}");
        meter.CreateObservableCounter("skipped", () => state.Status.Skipped, "{pass}");
        meter.CreateObservableCounter("failed", () => state.Status.Failed, "{pass}");
        meter.CreateObservableGauge("last_duration", () => state.Status.LastDuration?.TotalSeconds ?? double.NaN, "s");
        meter.CreateObservableGauge("last_size", () => (double?)state.Status.Newest?.Size ?? double.NaN, "By");
        meter.CreateObservableGauge("age", () => state.Status.Newest is { } newest ? (time.GetUtcNow() - newest.TakenAt).TotalSeconds : double.NaN, "s");
        meter.CreateObservableGauge("kept", () => state.Status.Kept, "{backup}");
        meter.CreateObservableGauge("healthy", () => Freshness.Evaluate(state, options.Value.EffectiveMaxAge, time.GetUtcNow()).IsFresh ? 1 : 0);
        if (shipping is null || drill is null)
        {
            return;
        }

        var remoteMeter = meterFactory.Create(RemoteMeterName);
        remoteMeter.CreateObservableCounter("uploads", () => shipping.Status.Uploads, "{object}");
        remoteMeter.CreateObservableCounter("upload_failures", () => shipping.Status.Failures, "{pass}");
        remoteMeter.CreateObservableGauge("healthy", () => Lag() <= options.Value.EffectiveMaxAge.TotalSeconds ? 1 : 0);
        remoteMeter.CreateObservableGauge("lag", Lag, "s");
        remoteMeter.CreateObservableGauge("first_recoverable", () => shipping.Status.FirstRecoverable?.ToUnixTimeMilliseconds() / 1000.0 ?? double.NaN, "s");
        remoteMeter.CreateObservableGauge("drill_last_success", () => drill.Last.LastSuccess?.ToUnixTimeMilliseconds() / 1000.0 ?? 0, "s");
        remoteMeter.CreateObservableGauge("drill_duration", () => drill.Last.LastDuration?.TotalSeconds ?? double.NaN, "s");
        remoteMeter.CreateObservableGauge("drill_interval", () => remote.Value.DrillInterval.TotalSeconds, "s");
        remoteMeter.CreateObservableGauge("damaged_objects", () => drill.Last.Damaged.Count, "{object}");

        double Lag() => shipping.Status.Lag(time.GetUtcNow()).TotalSeconds;
    }
}
