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
    /// Uploads, their health check and loop, when <c>Backup:Remote:Url</c> is set. Call before the
    /// local backup worker is registered: hosted services stop in reverse order, and the final
    /// upload must follow the final backup.
    /// </summary>
    public static WebApplicationBuilder AddRemoteBackups(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRemoteOptions(builder.Configuration);
        services.AddSingleton<BackupPassSignal>();
        if (!RemoteOptions.IsConfigured(builder.Configuration))
        {
            return builder;
        }

        services.AddSingleton(sp => new ObjectStore(sp.GetRequiredService<IOptions<RemoteOptions>>().Value, sp.GetRequiredService<IConfiguration>()));
        services.AddKeyedSingleton(BackupState.Remote, (sp, _) =>
            new BackupState(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ObjectStore>().Location.ToString()));
        services.AddSingleton<RemoteUploader>();
        services.AddHostedService<RemoteBackupWorker>();
        services.AddHealthChecks().AddCheck<RemoteBackupCheck>("remote", tags: [HealthApi.BackupTag]);
        return builder;
    }

}
