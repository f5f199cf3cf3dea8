using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pods;

namespace MoscowTime.Web.Apis;

public static class VisitsApi
{
    /// <summary>This pod's count, which peers ask for and which never fans out; and the whole StatefulSet's.</summary>
    public static IEndpointRouteBuilder MapVisitsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/visits", (VisitWriter writer, PodIdentity pod) => TypedResults.Ok(new PodVisits(pod.Name, writer.CommittedTotal)));
        app.MapGet("/visits/cluster", async (ClusterView view, CancellationToken cancellationToken) =>
            TypedResults.Ok(await view.QueryAsync(cancellationToken)));
        return app;
    }
}
