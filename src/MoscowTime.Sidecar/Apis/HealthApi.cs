using MoscowTime.ServiceDefaults;

namespace MoscowTime.Sidecar.Apis;

public static class HealthApi
{
    public const string LiveTag = "live";
    public const string BackupTag = "backup";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapProbe("/livez", LiveTag);
        app.MapProbe("/healthz", BackupTag);
        return app;
    }
}
