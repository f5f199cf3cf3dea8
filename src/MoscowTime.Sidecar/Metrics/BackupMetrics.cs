using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;
using Prometheus;

namespace MoscowTime.Sidecar.Metrics;

/// <summary>
/// /metrics. The figures are read from <see cref="BackupState"/> when Prometheus scrapes, so they
/// always agree with /healthz.
/// </summary>
/// <remarks>
/// A registry of its own rather than prometheus-net's static one: each app instance (tests start
/// several in one process) then reports its own counts.
/// </remarks>
public sealed class BackupMetrics
{
    public BackupMetrics(BackupState state, IOptions<BackupOptions> options, TimeProvider time, RemoteState remote, IOptions<RemoteOptions> remoteOptions)
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        var taken = factory.CreateCounter("moscowtime_backups_taken_total", "Backups taken, verified and kept.");
        var skipped = factory.CreateCounter("moscowtime_backups_skipped_total", "Passes that took no backup: database unchanged or holding no data yet.");
        var failed = factory.CreateCounter("moscowtime_backups_failed_total", "Passes whose backup failed after its retries.");
        var duration = factory.CreateGauge("moscowtime_backup_last_duration_seconds", "Time the last backup took: copy, fsync, verify and rename.");
        var size = factory.CreateGauge("moscowtime_backup_last_size_bytes", "Size of the newest kept backup.");
        var age = factory.CreateGauge("moscowtime_backup_age_seconds", "Age of the newest kept backup (NaN when there is none).");
        var kept = factory.CreateGauge("moscowtime_backups_kept", "Backups in the backup directory.");
        var healthy = factory.CreateGauge("moscowtime_backup_healthy", "1 while /healthz answers 200, else 0: alert on this, not on age.");

        Registry.AddBeforeCollectCallback(() =>
        {
            var status = state.Status;
            var now = time.GetUtcNow();
            taken.IncTo(status.Taken);
            skipped.IncTo(status.Skipped);
            failed.IncTo(status.Failed);
            duration.Set(status.LastDuration?.TotalSeconds ?? double.NaN);
            size.Set(status.Newest?.Size ?? double.NaN);
            age.Set(status.Newest is { } newest ? (now - newest.TakenAt).TotalSeconds : double.NaN);
            kept.Set(status.Kept);
            healthy.Set(BackupFreshness.Evaluate(status, options.Value, now).IsFresh ? 1 : 0);
        });
        if (remoteOptions.Value.IsConfigured)
        {
            RemoteMetrics.Register(Registry, remote, RemoteLocation.From(remoteOptions.Value), options.Value, time);
        }
    }

    public CollectorRegistry Registry { get; }
}
