using MoscowTime.ServiceDefaults;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Observability;

public static class SidecarMetricsRegistration
{
    /// <summary>/metrics: the backup figures, and the remote and restore drill ones when a remote is configured.</summary>
    public static WebApplicationBuilder AddSidecarMetrics(this WebApplicationBuilder builder)
    {
        var remote = RemoteOptions.IsConfigured(builder.Configuration);
        builder.Services.AddSingleton<BackupMeters>();
        builder.Services.AddSingleton<DrillMeters>();
        return builder.AddPrometheusMetrics(
            remote ? [.. BackupMeters.Exported, .. BackupMeters.ExportedRemote, .. DrillMeters.Exported] : BackupMeters.Exported,
            services =>
            {
                services.GetRequiredService<BackupMeters>();
                if (remote)
                {
                    services.GetRequiredService<DrillMeters>();
                }
            });
    }
}
