using Microsoft.AspNetCore.Http.HttpResults;
using MoscowTime.Storage;
using MoscowTime.Web.Hosting;
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
    internal static async Task<Results<ContentHttpResult, ProblemHttpResult>> ShowPageAsync(
        HttpContext context, VisitWriter writer, MoscowClock clock, PodIdentity pod)
    {
        long visits;
        try
        {
            visits = await writer.RecordVisitAsync();
        }
        catch (VisitNotRecordedException ex)
        {
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Your visit was not recorded", detail: ex.Message);
        }

        HomePage.ApplyHeaders(context.Response);
        return TypedResults.Content(HomePage.Render(TimeReading.From(clock), pod.Name, visits), "text/html; charset=utf-8");
    }
}
