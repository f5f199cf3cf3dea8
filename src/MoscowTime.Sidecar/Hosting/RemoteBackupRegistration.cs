using Amazon.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Hosting;

public static class RemoteBackupRegistration
{
    /// <summary>The <c>Backup:Remote</c> section, validated at start; the sidecar and restore read the same keys.</summary>
    public static IServiceCollection AddRemoteOptions(this IServiceCollection services)
    {
        services.AddOptions<RemoteOptions>()
            .BindConfiguration(RemoteOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                // Kubernetes' downward API and the AWS SDK's own variables, unless set explicitly.
                options.PodName = NonEmpty(options.PodName) ?? NonEmpty(configuration["POD_NAME"]);
                options.Region = NonEmpty(options.Region) ?? NonEmpty(configuration["AWS_REGION"]) ?? NonEmpty(configuration["AWS_DEFAULT_REGION"]);
                options.Endpoint = NonEmpty(options.Endpoint);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RemoteOptions>, RemoteOptionsValidator>());
        return services;
    }

    /// <summary>
    /// Uploads, their health check and loop, when <c>Backup:Remote:Url</c> is set. Call before the
    /// local backup worker is registered: hosted services stop in reverse order, and the final
    /// upload must follow the final backup.
    /// </summary>
    public static WebApplicationBuilder AddRemoteBackups(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddRemoteOptions();
        services.AddSingleton<RemoteState>();
        services.AddSingleton<UploadTrigger>();
        if (string.IsNullOrWhiteSpace(builder.Configuration[$"{RemoteOptions.Section}:Url"]))
        {
            return builder;
        }

        services.AddSingleton(sp => new ObjectStore(sp.GetRequiredService<IOptions<RemoteOptions>>().Value, sp.GetService<AWSCredentials>()));
        services.AddSingleton<RemoteUploader>();
        services.AddHostedService<RemoteBackupWorker>();
        services.AddHealthChecks().AddCheck<RemoteBackupCheck>("remote", tags: [HealthApi.BackupTag]);
        return builder;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
