using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.ObjectPool;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pages;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Apis;

public static class PageApi
{
    /// <summary>How long a visitor refused with 503 is told to wait: a full queue drains, or a failed file reopens, within seconds.</summary>
    private const string RetryAfterSeconds = "5";

    /// <summary>Pooled builders, written out without a string: 30% less CPU per GET / (bench/README.md, "The page").</summary>
    private static readonly ObjectPool<StringBuilder> Builders = ObjectPool.Create(
        new StringBuilderPooledObjectPolicy { InitialCapacity = HomePage.Capacity, MaximumRetainedCapacity = 2 * HomePage.Capacity });

    public static IEndpointRouteBuilder MapPageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", ShowPageAsync);
        return app;
    }

    /// <summary>Every GET / is one visit, committed before the page is sent.</summary>
    internal static async Task<Results<EmptyHttpResult, ProblemHttpResult>> ShowPageAsync(
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
            context.Response.ContentType = "text/html; charset=utf-8";
            var html = Builders.Get();
            try
            {
                page.Render(html, clock.Now(), visits, cluster.LastReported, history.Last24Hours(visits));
                foreach (var chunk in html.GetChunks())
                {
                    Encoding.UTF8.GetBytes(chunk.Span, context.Response.BodyWriter);
                }
            }
            finally
            {
                Builders.Return(html);
            }

            return TypedResults.Empty;
        }
        catch (VisitNotRecordedException ex)
        {
            headers.RetryAfter = RetryAfterSeconds;
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Your visit was not recorded", detail: ex.Message);
        }
    }
}
