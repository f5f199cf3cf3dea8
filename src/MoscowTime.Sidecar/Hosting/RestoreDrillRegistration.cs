using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Sidecar.Restore;

namespace MoscowTime.Sidecar.Hosting;

public static class RestoreDrillRegistration
{
    /// <summary>The restore drill, its status and health check, when <c>Backup:Remote:Url</c> is set.</summary>
    public static WebApplicationBuilder AddRestoreDrill(this WebApplicationBuilder builder)
    {
        if (!RemoteOptions.IsConfigured(builder.Configuration))
        {
            return builder;
        }

        var services = builder.Services;
        services.AddSingleton<RemoteHistory>();
        services.AddSingleton<DrillStatus>();
        services.AddHostedService<RestoreDrill>();
        services.AddHealthChecks().AddCheck<RestoreDrillCheck>("restore-drill", tags: [HealthApi.BackupTag]);
        return builder;
    }
}
