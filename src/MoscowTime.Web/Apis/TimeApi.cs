using System.Globalization;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Apis;

public static class TimeApi
{
    public static IEndpointRouteBuilder MapTimeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/time", (MoscowClock clock) => TypedResults.Ok(TimeReading.From(clock)));
        return app;
    }
}

/// <summary>The body of /api/time; the page's script ticks from it.</summary>
public sealed record TimeReading(string Moscow, string Utc, long UnixMs, int OffsetMinutes, string Zone)
{
    public static TimeReading From(MoscowClock clock)
    {
        var now = clock.Now();
        return new TimeReading(
            now.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            now.ToUnixTimeMilliseconds(),
            (int)now.Offset.TotalMinutes,
            clock.ZoneName);
    }
}
