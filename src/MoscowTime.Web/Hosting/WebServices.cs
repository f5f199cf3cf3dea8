using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using MoscowTime.Storage;
using MoscowTime.Web.Apis;
using MoscowTime.Web.Health;
using MoscowTime.Web.Pages;
using MoscowTime.Web.Pods;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Hosting;

public static class WebServices
{
    /// <summary>
    /// How long SIGTERM waits for requests in flight to commit. With the preStop pause it must fit in
    /// terminationGracePeriodSeconds, after which the kubelet sends SIGKILL (ShutdownGraceTests checks).
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    public static WebApplicationBuilder AddWebServices(this WebApplicationBuilder builder)
    {
        var services = builder.Services;

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(PodIdentity.From(builder.Configuration));
        services.AddSingleton<MoscowClock>();
        services.AddSingleton<HomePage>();
        services.AddSingleton<VisitHistory>();

        services.AddOptions<VisitStoreOptions>()
            .BindConfiguration(VisitStoreOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<VisitStoreOptions>, VisitStoreOptionsValidator>();
        services.AddSingleton<StorageMetrics>();
        services.AddSingleton<VisitWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<VisitWriter>());

        services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy("the process serves requests"), [HealthApi.LiveTag])
            .AddCheck<DatabaseReadinessCheck>("database", tags: [HealthApi.ReadyTag]);

        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, WebJson.Default));

        // Kestrel reads only its endpoints from configuration; this lets operators tune Kestrel__Limits__* too.
        var limits = builder.Configuration.GetSection("Kestrel:Limits");
        services.Configure<KestrelServerOptions>(kestrel => limits.Bind(kestrel.Limits));
        services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        return builder;
    }
}
