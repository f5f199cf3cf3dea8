using MoscowTime.ServiceDefaults;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Observability;

public static class SidecarMetricsRegistration
{
    /// <summary>/metrics: the backup figures, and the remote ones when a remote is configured.</summary>
    public static WebApplicationBuilder AddSidecarMetrics(this WebApplicationBuilder builder)
    {
        var remote = !string.IsNullOrWhiteSpace(builder.Configuration[$"{RemoteOptions.Section}:Url"]);
        builder.Services.AddSingleton<BackupMeters>();
        return builder.AddPrometheusMetrics(remote ? [.. BackupMeters.Exported, .. BackupMeters.ExportedRemote] : BackupMeters.Exported,
            services => services.GetRequiredService<BackupMeters>());
    }
}
