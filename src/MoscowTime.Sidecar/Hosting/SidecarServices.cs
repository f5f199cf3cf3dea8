using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Metrics;

namespace MoscowTime.Sidecar.Hosting;

public static class SidecarServices
{
    public static WebApplicationBuilder AddSidecarServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddBackupOptions();

        services.AddSingleton<BackupState>();
        services.AddSingleton(sp => new LiveDatabase(sp.GetRequiredService<IOptions<BackupOptions>>().Value.DatabasePath));
        services.AddSingleton<SnapshotTaker>();
        services.AddSingleton<BackupCycle>();
        builder.AddRemoteBackups();
        // A singleton as well as a hosted service, so that liveness can see whether its loop still runs.
        services.AddSingleton<BackupWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<BackupWorker>());

        services.AddHealthChecks()
            .AddCheck<WorkerLivenessCheck>("worker", tags: [HealthApi.LiveTag])
            .AddCheck<BackupFreshnessCheck>("backups", tags: [HealthApi.BackupTag]);
        services.AddSingleton<BackupMetrics>();

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        // Room for the final backup after SIGTERM, inside Kubernetes' default 30 s grace period.
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(25));
        return builder;
    }
}
