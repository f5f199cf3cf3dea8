using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using MoscowTime.Hosting;

namespace MoscowTime.Web.Apis;

public static class HealthApi
{
    /// <summary>Liveness never touches the database: a full disk must not get the pod restarted in a loop.</summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/livez", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("live"),
            ResponseWriter = HealthJson.WriteAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
        app.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = HealthJson.WriteAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
        return app;
    }
}
