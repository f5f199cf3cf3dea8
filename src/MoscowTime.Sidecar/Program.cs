using MoscowTime.ServiceDefaults;
using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Hosting;
using MoscowTime.Sidecar.Observability;
using MoscowTime.Sidecar.Restore;

namespace MoscowTime.Sidecar;

/// <summary>The backup sidecar, or with <c>restore</c> the init container's job; tests call <see cref="Build"/> with their own address, clock and paths.</summary>
public static class SidecarApp
{
    public const int DefaultPort = 8081;

    public static Task<int> Main(string[] args) => args is [RestoreCommand.Verb, .. var rest]
        ? StartupGuard.RunAsync(RestoreCommand.Name, () => RestoreCommand.RunAsync(rest))
        : StartupGuard.RunAsync("moscow-time-backup", () => Build(args));

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json ships beside the binary; data paths stay relative to the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddServiceDefaults(DefaultPort);
        builder.AddSidecarServices();
        builder.AddPrometheusMetrics(BackupMeters.ExportedFor(builder.Configuration), services => services.GetRequiredService<BackupMeters>());
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapHealthApi();
        app.MapDefaultEndpoints();
        return app;
    }
}
