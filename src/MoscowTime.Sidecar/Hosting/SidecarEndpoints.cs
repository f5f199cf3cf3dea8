using MoscowTime.Hosting;
using MoscowTime.Sidecar.Apis;

namespace MoscowTime.Sidecar.Hosting;

public static class SidecarEndpoints
{
    public static WebApplication MapSidecarEndpoints(this WebApplication app)
    {
        app.MapHealthApi();
        app.MapMoscowTimeMetrics();
        return app;
    }
}
