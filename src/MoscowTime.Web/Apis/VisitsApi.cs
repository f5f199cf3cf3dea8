using MoscowTime.Storage;
using MoscowTime.Web.Pods;

namespace MoscowTime.Web.Apis;

public static class VisitsApi
{
    public static IEndpointRouteBuilder MapVisitsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/visits", (VisitWriter writer, PodIdentity pod) => TypedResults.Ok(new PodVisits(pod.Name, writer.CommittedTotal)));
        return app;
    }
}
