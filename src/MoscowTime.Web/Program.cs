using MoscowTime.ServiceDefaults;
using MoscowTime.Web.Apis;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Hosting;

namespace MoscowTime.Web;

/// <summary>The web app: <see cref="Main"/> runs it; tests call <see cref="Build"/> with their own address, clock and paths.</summary>
public static class WebApp
{
    public const int DefaultPort = 8080;

    public static Task<int> Main(string[] args) => StartupGuard.RunAsync("moscow-time-web", () => Build(args));

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json ships beside the binary; data paths stay relative to the working directory.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddServiceDefaults(DefaultPort);
        builder.AddWebServices();
        builder.Services.AddCluster();
        builder.AddPrometheusMetrics(WebMeters.Exported);
        configure?.Invoke(builder);

        var app = builder.Build();
        app.MapPageApi();
        app.MapVisitsApi();
        app.MapTimeApi();
        app.MapHealthApi();
        app.MapDefaultEndpoints();
        return app;
    }
}
