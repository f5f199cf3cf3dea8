using MoscowTime.ServiceDefaults;

namespace MoscowTime.Web.Apis;

public static class HealthApi
{
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>Liveness never touches the database: a full disk must not get the pod restarted in a loop.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapProbe("/livez", LiveTag);
        app.MapProbe("/readyz", ReadyTag);
        return app;
    }
}
