using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// The restore drill's part of /healthz (a remote configured only): unhealthy when the last drill found a damaged
/// object, or none has succeeded for two intervals.
/// </summary>
public sealed class RestoreDrillCheck(DrillStatus drill, IOptions<RemoteOptions> remote, TimeProvider time) : IHealthCheck
{
    /// <summary>Drills that may fail in a row (a store down for a while) before the drill turns /healthz red.</summary>
    private const int MissedDrills = 2;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var last = drill.Last;
        var since = last.LastSuccess ?? drill.Since;
        var reason = last.Damaged.Count > 0 ? $"the restore drill found damaged objects in the store: {string.Join(", ", last.Damaged)}"
            : time.GetUtcNow() - since > MissedDrills * remote.Value.DrillInterval
                ? $"no restore drill has succeeded since {Freshness.Utc(since)}: {last.LastError ?? "the store has not answered a shipping pass"}"
            : null;
        var data = new Dictionary<string, object?>
        {
            ["drillLastSuccessTime"] = last.LastSuccess is { } success ? Freshness.Utc(success) : null,
            ["drillLastDurationSeconds"] = last.LastDuration?.TotalSeconds,
            ["drillReachedTime"] = last.Reached is { } reached ? Freshness.Utc(reached) : null,
            ["drillLastError"] = last.LastError,
            ["drillLastErrorTime"] = last.LastErrorAt is { } failedAt ? Freshness.Utc(failedAt) : null,
            ["drillDamagedObject"] = last.Damaged.Count > 0 ? string.Join(", ", last.Damaged) : null,
        };
        return Task.FromResult(reason is null
            ? HealthCheckResult.Healthy(last.Reached is { } at ? $"the store restores to {Freshness.Utc(at)}" : "the first restore drill is running", data!)
            : HealthCheckResult.Unhealthy(reason, data: data!));
    }
}
