using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Testing;

namespace MoscowTime.Web.Tests;

/// <summary>The page's last 24 hours, read from visit_hours without a query per visit.</summary>
public sealed partial class VisitHistoryTests : IDisposable
{
    private readonly TempDirectory _dir = new("history");

    [Fact]
    public async Task Hours_follow_the_apps_clock_across_an_hour_and_a_day_and_agree_with_the_count()
    {
        // 07:59 UTC is 10:59 in Moscow.
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 7, 59, 0, TimeSpan.Zero));
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"), services => services.AddSingleton<TimeProvider>(clock));
        for (var i = 0; i < 2; i++)
        {
            await app.Client.GetStringAsync("/");
        }

        Assert.Equal("3 visits in the last 24 hours, Moscow time: 3 in the current hour, from 10:00; the busiest hour, from 10:00, had 3.",
            Description(await app.Client.GetStringAsync("/")));

        clock.Advance(TimeSpan.FromMinutes(2));
        var nextHour = await app.Client.GetStringAsync("/");
        Assert.Equal("4 visits in the last 24 hours, Moscow time: 1 in the current hour, from 11:00; the busiest hour, from 10:00, had 3.",
            Description(nextHour));
        Assert.Contains("<title>10:00: 3 visits</title>", nextHour, StringComparison.Ordinal);

        clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal("2 visits in the last 24 hours, Moscow time: 1 in the current hour, from 10:00; the busiest hour, from 10:00, had 1.",
            Description(await app.Client.GetStringAsync("/")));
    }

    [Fact]
    public async Task Chart_needs_nothing_the_Content_Security_Policy_blocks()
    {
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"));

        var html = await app.Client.GetStringAsync("/");

        Assert.Contains("<svg id=\"visits-chart\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<image", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=", html, StringComparison.Ordinal);
    }

    private static string Description(string html)
    {
        var match = DescriptionElement().Match(html);
        Assert.True(match.Success, "the page has no chart description");
        return match.Groups[1].Value;
    }

    [GeneratedRegex("""<desc id="visits-chart-desc">([^<]*)</desc>""")]
    private static partial Regex DescriptionElement();

    public void Dispose() => _dir.Dispose();
}
