using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// The remote part of /healthz, registered only when a remote is configured: its fields start with
/// <c>remote</c>, apart from the local backup's. Places and reasons only, never a credential.
/// </summary>
public sealed class RemoteBackupCheck(RemoteState state, IOptions<RemoteOptions> remote, IOptions<BackupOptions> options, TimeProvider time)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = state.Status;
        var now = time.GetUtcNow();
        var location = RemoteLocation.From(remote.Value);
        var freshness = RemoteFreshness.Evaluate(status, state.StartedAt, location, options.Value, now);
        var data = new Dictionary<string, object?>
        {
            ["remoteLocation"] = location.ToString(),
            ["remoteEndpoint"] = string.IsNullOrWhiteSpace(remote.Value.Endpoint) ? null : remote.Value.Endpoint,
            ["remoteLastUploadFile"] = status.NewestName,
            ["remoteLastUploadTime"] = status.LastUploadAt is { } uploadedAt ? BackupFreshness.Utc(uploadedAt) : null,
            ["remoteNewestAgeSeconds"] = status.NewestTakenAt is { } takenAt ? Math.Round((now - takenAt).TotalSeconds, 1) : null,
            ["remoteUpToDateAt"] = status.UpToDateAt is { } upToDate ? BackupFreshness.Utc(upToDate) : null,
            ["remoteLastUploadSeconds"] = status.LastUploadDuration?.TotalSeconds,
            ["remoteLastError"] = status.LastError,
            ["remoteLastErrorTime"] = status.LastErrorAt is { } failedAt ? BackupFreshness.Utc(failedAt) : null,
            ["remoteUploads"] = status.Uploads,
            ["remoteFailures"] = status.Failures,
        };
        return Task.FromResult(new HealthCheckResult(
            freshness.IsFresh ? HealthStatus.Healthy : HealthStatus.Unhealthy, freshness.Reason, data: data!));
    }
}
