using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoscowTime.Storage;

namespace MoscowTime.Web.Health;

/// <summary>Ready means a visit arriving now would be committed.</summary>
public sealed class DatabaseReadinessCheck(VisitWriter writer) : IHealthCheck
{
    private static readonly TimeSpan WriteCheckTimeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(writer.DatabasePath))!;
        if (DirectoryProbe.Check(directory) is { } unwritable)
        {
            return HealthCheckResult.Unhealthy($"database directory: {unwritable}", data: Data());
        }

        if (!writer.Health.Writable)
        {
            // With readiness down no visit arrives to retry: a visit-free commit tells whether the database recovered.
            try
            {
                await writer.CheckWritableAsync().WaitAsync(WriteCheckTimeout, cancellationToken);
            }
            catch (Exception ex) when (ex is VisitNotRecordedException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy($"database: {writer.Health.Reason}", data: Data());
            }
        }

        return HealthCheckResult.Healthy($"{writer.DatabasePath} takes commits; {writer.CommittedTotal} visits", Data());
    }

    /// <summary>Top-level fields of /readyz, as the sidecar's /healthz has its own.</summary>
    private Dictionary<string, object> Data() => new()
    {
        ["database"] = writer.DatabasePath,
        ["visitsCommitted"] = writer.CommittedTotal,
    };
}
