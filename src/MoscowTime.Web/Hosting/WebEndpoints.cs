using MoscowTime.Web.Apis;
using Prometheus;

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
        app.MapMetrics("/metrics").WithMetadata(new HttpMethodMetadata(["GET"]));
        return app;
    }
}
