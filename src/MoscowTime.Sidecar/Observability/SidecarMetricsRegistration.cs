using MoscowTime.Hosting;

namespace MoscowTime.Sidecar.Observability;

public static class SidecarMetricsRegistration
{
    /// <summary>/metrics: the backup figures, and the remote ones when a remote is configured.</summary>
    public static WebApplicationBuilder AddSidecarMetrics(this WebApplicationBuilder builder)
    {
        var remote = Remote.RemoteOptions.IsConfigured(builder.Configuration);
        builder.Services.AddSingleton<BackupMeters>();
        // The instruments only report when observed: create them with the exporter, before the first scrape.
        builder.Services.AddMoscowTimeMetrics(remote ? [.. BackupMeters.Exported, .. BackupMeters.ExportedRemote] : BackupMeters.Exported,
            (services, _) => services.GetRequiredService<BackupMeters>());
        return builder;
    }
}
