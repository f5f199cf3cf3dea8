using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Health;
using MoscowTime.Web.Pages;
using MoscowTime.Web.Pods;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Hosting;

public static class WebServices
{
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
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<VisitStoreOptions>, VisitStoreOptionsValidator>();
        services.AddSingleton<StorageMetrics>();
        services.AddSingleton<VisitWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<VisitWriter>());

        services.AddHealthChecks()
            .AddCheck("self", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy("the process serves requests"), ["live"])
            .AddCheck<DatabaseReadinessCheck>("database", tags: ["ready"]);

        services.AddCluster();
        services.AddWebMeters();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        // Kestrel reads only its endpoints from configuration; this lets operators tune
        // Kestrel__Limits__* (header timeout, sizes, connection counts) the same way.
        services.Configure<KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));
        // Give in-flight visits time to commit before the host gives up on SIGTERM.
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(20));
        return builder;
    }
}
