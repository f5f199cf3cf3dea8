using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoscowTime.Sidecar.Backups;

namespace MoscowTime.Sidecar.Health;

/// <summary>
/// /livez: the backup loop is running and has made progress recently. It does not look at the
/// backups themselves: a full disk or a locked database must not get the container restarted in a loop.
/// </summary>
public sealed class WorkerLivenessCheck(BackupWorker worker, BackupState state, IOptions<BackupOptions> options, TimeProvider time)
    : IHealthCheck
{
    /// <summary>Beyond the longest legitimate pass: a pool thread that starts late, a slow fsync.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(30);

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (worker.ExecuteTask is { IsCompleted: true } stopped)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the backup loop has stopped ({stopped.Status})"));
        }

        // A pass may take every attempt with its timeout and backoff; only beyond that is it stuck.
        var limit = options.Value.Interval + Retries.LongestRun(options.Value.AttemptTimeout, BackupCycle.FirstRetryDelay) + Slack;
        var since = time.GetUtcNow() - state.Heartbeat;
        return Task.FromResult(since > limit
            ? HealthCheckResult.Unhealthy($"the backup loop has made no progress for {since.TotalSeconds:F0} s (limit {limit.TotalSeconds:F0} s)")
            : HealthCheckResult.Healthy($"the backup loop is running; last progress {since.TotalSeconds:F1} s ago"));
    }
}
