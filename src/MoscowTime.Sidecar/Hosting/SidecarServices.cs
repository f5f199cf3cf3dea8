using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Observability;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Hosting;

public static class SidecarServices
{
    /// <summary>
    /// How long SIGTERM waits for the final backup and its upload. The kubelet sends SIGKILL once the pod's
    /// terminationGracePeriodSeconds, counted from before the preStop pause, have passed: the pause and this must fit
    /// inside it (ShutdownGraceTests renders the manifests and checks).
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    public static WebApplicationBuilder AddSidecarServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddBackupOptions();

        services.AddSingleton<BackupState>();
        services.AddSingleton<BackupMeters>();
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

        services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        return builder;
    }
}
