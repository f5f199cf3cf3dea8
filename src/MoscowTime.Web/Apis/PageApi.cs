using Microsoft.AspNetCore.Http.HttpResults;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pages;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Apis;

public static class PageApi
{
    public static IEndpointRouteBuilder MapPageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", ShowPageAsync);
        return app;
    }

    /// <summary>Every GET / is one visit, committed before the page is sent.</summary>
    internal static async Task<Results<HomePageResult, ProblemHttpResult>> ShowPageAsync(
        HttpContext context, VisitWriter writer, MoscowClock clock, HomePage page, ClusterView cluster, VisitHistory history)
    {
        try
        {
            var visits = await writer.RecordVisitAsync();
            return new HomePageResult(page, clock.Now(), visits, cluster.LastReported, history.Last24Hours(visits));
        }
        catch (VisitNotRecordedException ex)
        {
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Your visit was not recorded", detail: ex.Message);
        }
    }
}

public sealed class HomePageResult(HomePage page, DateTimeOffset moscow, long visits, PeerSnapshot peers, HourlyVisits? history) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext) => page.WriteAsync(httpContext.Response, moscow, visits, peers, history);
}
