using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MoscowTime.Hosting;

namespace MoscowTime.Sidecar.Apis;

public static class HealthApi
{
    public const string LiveTag = "live";
    public const string BackupTag = "backup";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/livez", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthJson.WriteAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(BackupTag),
            ResponseWriter = HealthJson.WriteAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
        return app;
    }
}
