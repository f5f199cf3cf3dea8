using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MoscowTime.Sidecar.Health;

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
            ResponseWriter = HealthJsonWriter.WriteAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
        app.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(BackupTag),
            ResponseWriter = HealthJsonWriter.WriteAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
        return app;
    }
}
