using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MoscowTime.Sidecar.Backups;

public static class BackupOptionsRegistration
{
    /// <summary>The <c>Backup</c> section, validated at start; the sidecar and the restore command read the same keys.</summary>
    public static IServiceCollection AddBackupOptions(this IServiceCollection services)
    {
        services.AddOptions<BackupOptions>()
            .BindConfiguration(BackupOptions.Section)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BackupOptions>, BackupOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<BackupOptions>>().Value;
            return new BackupCatalog(options.Directory, options.DatabasePath);
        });
        return services;
    }
}
