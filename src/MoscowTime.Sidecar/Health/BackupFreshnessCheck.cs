using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoscowTime.Sidecar.Backups;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// /healthz: 200 while the newest backup holds the database as it was at most Backup:MaxAge ago,
/// 503 with the reason otherwise. The data travels as the JSON body, field by field.
/// </summary>
public sealed class BackupFreshnessCheck(BackupState state, IOptions<BackupOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = state.Status;
        var now = time.GetUtcNow();
        var freshness = Freshness.Evaluate(state, options.Value.EffectiveMaxAge, now);
        var newest = status.Newest;
        var data = new Dictionary<string, object?>
        {
            ["database"] = options.Value.DatabasePath,
            ["directory"] = options.Value.Directory,
            ["lastBackupTime"] = newest is null ? null : Freshness.Utc(newest.TakenAt),
            ["lastBackupFile"] = newest?.Name,
            ["lastBackupSizeBytes"] = newest?.Size,
            ["lastBackupAgeSeconds"] = newest is null ? null : Math.Round((now - newest.TakenAt).TotalSeconds, 1),
            ["upToDateAt"] = status.UpToDateAt is { } upToDate ? Freshness.Utc(upToDate) : null,
            ["kept"] = status.Kept,
            ["lastError"] = status.LastError,
            ["lastErrorTime"] = status.LastErrorAt is { } failedAt ? Freshness.Utc(failedAt) : null,
            ["maxAgeSeconds"] = options.Value.EffectiveMaxAge.TotalSeconds,
        };
        return Task.FromResult(new HealthCheckResult(
            freshness.IsFresh ? HealthStatus.Healthy : HealthStatus.Unhealthy, freshness.Reason, data: data!));
    }
}
