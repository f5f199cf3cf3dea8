using Microsoft.Extensions.DependencyInjection.Extensions;

namespace MoscowTime.Sidecar.Remote;

public static class RemoteOptionsRegistration
{
    /// <summary>The <c>Backup:Remote</c> section, validated at start (as a whole when configured); sidecar and restore read the same keys.</summary>
    public static IServiceCollection AddRemoteOptions(this IServiceCollection services, IConfiguration configuration)
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
            .ValidateOnStart();
        if (RemoteOptions.IsConfigured(configuration))
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RemoteOptions>, RemoteOptionsValidator>());
        }

        return services;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
