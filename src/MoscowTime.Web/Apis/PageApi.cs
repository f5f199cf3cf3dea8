using Microsoft.AspNetCore.Http.HttpResults;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pages;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Apis;

public static class PageApi
{
    /// <summary>How long a visitor refused with 503 is told to wait: a full queue drains, or a failed file reopens, within seconds.</summary>
    private const string RetryAfterSeconds = "5";

    public static IEndpointRouteBuilder MapPageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", ShowPageAsync);
        return app;
    }

    /// <summary>Every GET / is one visit, committed before the page is sent.</summary>
    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> ShowPageAsync(
        HttpContext context, VisitWriter writer, MoscowClock clock, HomePage page, ClusterView cluster, VisitHistory history)
    {
        var headers = context.Response.Headers;
        try
        {
            var visits = await writer.RecordVisitAsync();
            // Each GET / is a visit: a cached copy would show a stale count and skip a visit.
            headers.CacheControl = "no-store";
            headers.ContentSecurityPolicy = HomePage.ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            var html = page.Render(clock.Now(), visits, cluster.LastReported, history.Last24Hours(visits));
            return TypedResults.Content(html, "text/html; charset=utf-8");
        }
        catch (VisitNotRecordedException ex)
        {
            headers.RetryAfter = RetryAfterSeconds;
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Your visit was not recorded", detail: ex.Message);
        }
    }
}
