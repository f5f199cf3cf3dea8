using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;
using Prometheus;

namespace MoscowTime.Sidecar.Metrics;

/// <summary>
/// The remote figures on /metrics, from process start when a remote is configured. Alerts are
/// written against these names: keep them.
/// </summary>
public static class RemoteMetrics
{
    public static void Register(CollectorRegistry registry, RemoteState state, RemoteLocation location, BackupOptions options, TimeProvider time)
    {
        var factory = Prometheus.Metrics.WithCustomRegistry(registry);
        var uploads = factory.CreateCounter("moscowtime_backup_remote_uploads_total", "Uploads whose object was read back and matched the local backup.");
        var failures = factory.CreateCounter("moscowtime_backup_remote_upload_failures_total", "Upload passes that failed after their retries.");
        var age = factory.CreateGauge("moscowtime_backup_remote_age_seconds", "Age of the newest confirmed remote copy (NaN when there is none).");
        var healthy = factory.CreateGauge("moscowtime_backup_remote_healthy", "1 while the remote part of /healthz is fine, else 0.");
        var duration = factory.CreateGauge("moscowtime_backup_remote_last_upload_duration_seconds", "Time the last upload and its read-back took.");

        registry.AddBeforeCollectCallback(() =>
        {
            var status = state.Status;
            var now = time.GetUtcNow();
            uploads.IncTo(status.Uploads);
            failures.IncTo(status.Failures);
            age.Set(status.NewestTakenAt is { } takenAt ? (now - takenAt).TotalSeconds : double.NaN);
            healthy.Set(RemoteFreshness.Evaluate(status, state.StartedAt, location, options, now).IsFresh ? 1 : 0);
            duration.Set(status.LastUploadDuration?.TotalSeconds ?? double.NaN);
        });
    }
}
