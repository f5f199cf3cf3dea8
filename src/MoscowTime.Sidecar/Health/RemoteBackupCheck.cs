using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// The remote part of /healthz, registered only when a remote is configured: its fields start with
/// <c>remote</c>, apart from the local backup's. Places and reasons only, never a credential.
/// </summary>
public sealed class RemoteBackupCheck(
    [FromKeyedServices(BackupState.Remote)] BackupState state, IOptions<RemoteOptions> remote, IOptions<BackupOptions> options, TimeProvider time)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = state.Status;
        var now = time.GetUtcNow();
        var freshness = Freshness.Evaluate(state, options.Value.EffectiveMaxAge, now);
        var data = new Dictionary<string, object?>
        {
            ["remoteLocation"] = state.Store,
            ["remoteEndpoint"] = remote.Value.Endpoint,
            ["remoteLastUploadFile"] = status.Newest?.Name,
            ["remoteLastUploadTime"] = status.LastCopyAt is { } uploadedAt ? Freshness.Utc(uploadedAt) : null,
            ["remoteNewestAgeSeconds"] = status.Newest is { } newest ? Math.Round((now - newest.TakenAt).TotalSeconds, 1) : null,
            ["remoteUpToDateAt"] = status.UpToDateAt is { } upToDate ? Freshness.Utc(upToDate) : null,
            ["remoteLastUploadSeconds"] = status.LastDuration?.TotalSeconds,
            ["remoteLastError"] = status.LastError,
            ["remoteLastErrorTime"] = status.LastErrorAt is { } failedAt ? Freshness.Utc(failedAt) : null,
            ["remoteUploads"] = status.Taken,
            ["remoteFailures"] = status.Failed,
        };
        return Task.FromResult(new HealthCheckResult(
            freshness.IsFresh ? HealthStatus.Healthy : HealthStatus.Unhealthy, freshness.Reason, data: data!));
    }
}
