using MoscowTime.Web.Cluster;

namespace MoscowTime.Web.Apis;

public static class ClusterApi
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/visits/cluster", async (ClusterView view, CancellationToken cancellationToken) =>
            TypedResults.Ok(await view.QueryAsync(cancellationToken)));
        return app;
    }
}
