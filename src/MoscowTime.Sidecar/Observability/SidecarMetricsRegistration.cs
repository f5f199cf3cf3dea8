using MoscowTime.ServiceDefaults;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Observability;

public static class SidecarMetricsRegistration
{
    /// <summary>/metrics: the backup figures, and the remote and restore drill ones when a remote is configured.</summary>
    public static WebApplicationBuilder AddSidecarMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<BackupMeters>();
        return builder.AddPrometheusMetrics(
            RemoteOptions.IsConfigured(builder.Configuration) ? [.. BackupMeters.Exported, .. BackupMeters.ExportedRemote] : BackupMeters.Exported,
            services => services.GetRequiredService<BackupMeters>());
    }
}
