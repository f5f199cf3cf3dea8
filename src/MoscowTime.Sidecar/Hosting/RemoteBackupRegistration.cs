using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Hosting;

public static class RemoteBackupRegistration
{
    /// <summary>
    /// Continuous shipping, its health check and loop, when <c>Backup:Remote:Url</c> is set. Call before the
    /// local backup worker is registered: hosted services stop in reverse order, and the final
    /// shipment must follow the final backup, which waits for the web app's last commits.
    /// </summary>
    public static WebApplicationBuilder AddRemoteBackups(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRemoteOptions(builder.Configuration);
        if (!RemoteOptions.IsConfigured(builder.Configuration))
        {
            return builder;
        }

        services.AddSingleton(sp => new ObjectStore(sp.GetRequiredService<IOptions<RemoteOptions>>().Value, sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<ShippingState>();
        services.AddHostedService<WalShipper>();
        services.AddHealthChecks().AddCheck<RemoteBackupCheck>("remote", tags: [HealthApi.BackupTag]);
        return builder;
    }
}
