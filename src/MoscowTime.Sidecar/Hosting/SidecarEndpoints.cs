using MoscowTime.Sidecar.Apis;
using MoscowTime.Sidecar.Metrics;
using Prometheus;

namespace MoscowTime.Sidecar.Hosting;

public static class SidecarEndpoints
{
    public static WebApplication MapSidecarEndpoints(this WebApplication app)
    {
        app.MapHealthApi();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<BackupMetrics>().Registry)
            .WithMetadata(new HttpMethodMetadata(["GET"]));
        return app;
    }
}
