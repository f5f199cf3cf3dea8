using MoscowTime.Storage;
using MoscowTime.Web.Hosting;

namespace MoscowTime.Web.Apis;

public static class VisitsApi
{
    public static IEndpointRouteBuilder MapVisitsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/visits", (VisitWriter writer, PodIdentity pod) => TypedResults.Ok(new PodVisits(pod.Name, writer.CommittedTotal)));
        return app;
    }
}

/// <summary>This pod's committed count; peers read it for the cluster view.</summary>
public sealed record PodVisits(string Pod, long Visits);
