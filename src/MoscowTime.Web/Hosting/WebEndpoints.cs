using MoscowTime.Hosting;
using MoscowTime.Web.Apis;

namespace MoscowTime.Web.Hosting;

public static class WebEndpoints
{
    public static WebApplication MapWebEndpoints(this WebApplication app)
    {
        app.MapPageApi();
        app.MapVisitsApi();
        app.MapClusterApi();
        app.MapTimeApi();
        app.MapHealthApi();
        app.MapMoscowTimeMetrics();
        return app;
    }
}
