using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// The remote part of /healthz, registered only when a remote is configured: its fields start with
/// <c>remote</c>, apart from the local backup's. Places and reasons only, never a credential.
/// </summary>
public sealed class RemoteBackupCheck(ShippingState state, IOptions<RemoteOptions> remote, IOptions<BackupOptions> options, TimeProvider time)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = state.Status;
        var lag = status.Lag(time.GetUtcNow());
        var data = new Dictionary<string, object?>
        {
            ["remoteLocation"] = state.Location,
            ["remoteEndpoint"] = remote.Value.Endpoint,
            ["remoteLagSeconds"] = Math.Round(lag.TotalSeconds, 1),
            ["remoteChain"] = status.Chain,
            ["remoteLastObject"] = status.LastObject,
            ["remoteLastShippedTime"] = status.LastShippedTime is { } shipped ? Freshness.Utc(shipped) : null,
            ["remoteFirstRecoverable"] = status.FirstRecoverable is { } first ? Freshness.Utc(first) : null,
            ["remoteLastError"] = status.LastError,
            ["remoteLastErrorTime"] = status.LastErrorAt is { } failedAt ? Freshness.Utc(failedAt) : null,
            ["remoteUploads"] = status.Uploads,
            ["remoteFailures"] = status.Failures,
        };
        var maxAge = options.Value.EffectiveMaxAge;
        var error = status.LastError is { } last ? $"; last error: {last}" : "";
        var reason = lag > maxAge
            ? $"remote shipping lags: commits first seen {lag.TotalSeconds:F0} s ago are not yet confirmed in {state.Location}, " +
                $"longer than Backup:MaxAge ({maxAge}){error}"
            : status.WaitingSince is null
                ? $"{state.Location} holds every commit seen{error}"
                : $"commits first seen {lag.TotalSeconds:F0} s ago are on their way to {state.Location}{error}";
        return Task.FromResult(new HealthCheckResult(lag <= maxAge ? HealthStatus.Healthy : HealthStatus.Unhealthy, reason, data: data!));
    }
}
