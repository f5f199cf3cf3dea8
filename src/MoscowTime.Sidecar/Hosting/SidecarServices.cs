using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Observability;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Sidecar.Restore;
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
        // Before the local backup worker: hosted services stop in reverse order, and the final shipment must follow the
        // final backup, which waits for the web app's last commits.
        AddRemoteBackups(builder);
        // A singleton as well as a hosted service, so that liveness can see whether its loop still runs.
        services.AddSingleton<BackupWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<BackupWorker>());

        services.AddHealthChecks()
            .AddCheck<WorkerLivenessCheck>("worker", tags: [HealthApi.LiveTag])
            .AddCheck<BackupFreshnessCheck>("backups", tags: [HealthApi.BackupTag]);

        services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        return builder;
    }

    /// <summary>Continuous shipping and the restore drill, their loops, state and health checks, when <c>Backup:Remote:Url</c> is set.</summary>
    private static void AddRemoteBackups(WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRemoteOptions(builder.Configuration);
        if (!RemoteOptions.IsConfigured(builder.Configuration))
        {
            return;
        }

        services.AddSingleton<ObjectStore>();
        services.AddSingleton<ShippingState>();
        services.AddSingleton<ShippedObjects>();
        services.AddSingleton<SegmentCompactor>();
        services.AddHostedService<WalShipper>();
        services.AddSingleton<RemoteHistory>();
        services.AddSingleton<DrillStatus>();
        services.AddHostedService<RestoreDrill>();
        services.AddHealthChecks()
            .AddCheck<RemoteBackupCheck>("remote", tags: [HealthApi.BackupTag])
            .AddCheck<RestoreDrillCheck>("restore-drill", tags: [HealthApi.BackupTag]);
    }
}
