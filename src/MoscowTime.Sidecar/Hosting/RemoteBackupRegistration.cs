using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Sidecar.Restore;

namespace MoscowTime.Sidecar.Hosting;

public static class RemoteBackupRegistration
{
    /// <summary>
    /// Continuous shipping and the restore drill, their loops, state and health checks, when <c>Backup:Remote:Url</c> is set.
    /// Call before the local backup worker is registered: hosted services stop in reverse order, and the final shipment must
    /// follow the final backup, which waits for the web app's last commits.
    /// </summary>
    public static WebApplicationBuilder AddRemoteBackups(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRemoteOptions(builder.Configuration);
        if (!RemoteOptions.IsConfigured(builder.Configuration))
        {
            return builder;
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
        return builder;
    }
}
