using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using MoscowTime.Testing;

namespace MoscowTime.Web.Tests;

/// <summary>The page's chart of this pod's last 24 hours, as Debian's chromium shows it.</summary>
public sealed class VisitChartBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>07:20 UTC, 10:20 in Moscow: the hours the page labels are three ahead of UTC.</summary>
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 7, 20, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new("chart");

    [Fact]
    public async Task Chart_shows_the_visits_per_hour_in_Moscow_time_with_a_text_alternative_and_a_caption_on_one_line()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        var clock = new FakeTimeProvider(Start);
        // A real pod's name: the caption wrapped next to this narrower table.
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"), services => services.AddSingleton<TimeProvider>(clock), "--POD_NAME=moscow-time-0");
        for (var i = 0; i < 2; i++)
        {
            await app.Client.GetStringAsync("/"); // 10:00 Moscow
        }

        clock.Advance(TimeSpan.FromHours(2));
        for (var i = 0; i < 3; i++)
        {
            await app.Client.GetStringAsync("/"); // 12:00 Moscow
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var consoleErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                consoleErrors.Add(message.Text); // a CSP violation would show here
            }
        };

        await page.GotoAsync(app.BaseAddress.ToString()); // the sixth visit, at 12:20 Moscow

        var chart = page.GetByRole(AriaRole.Img, new() { Name = "Visits to this pod per hour, last 24 hours" });
        await Assertions.Expect(chart).ToBeVisibleAsync();
        Assert.Equal("6", await page.Locator("#visits-24h").InnerTextAsync());
        Assert.Equal("6", await page.Locator("#visits").InnerTextAsync());
        Assert.Equal(
            "6 visits in the last 24 hours, Moscow time: 4 in the current hour, from 12:00; the busiest hour, from 12:00, had 4.",
            await page.Locator("#visits-chart-desc").TextContentAsync());
        var bars = page.Locator("#visits-chart rect");
        Assert.Equal(24, await bars.CountAsync());
        Assert.Equal("10:00: 2 visits", await bars.Nth(21).Locator("title").TextContentAsync());
        Assert.Equal("11:00: 0 visits", await bars.Nth(22).Locator("title").TextContentAsync());
        Assert.Equal("12:00: 4 visits", await bars.Nth(23).Locator("title").TextContentAsync());
        // Drawn to scale: four visits stand twice as tall as two.
        Assert.Equal(2 * await HeightAsync(bars.Nth(21)), await HeightAsync(bars.Nth(23)));
        Assert.Contains("12:00", await page.Locator("#visits-chart text").AllTextContentsAsync());

        // One client rectangle per line the caption's text is laid out on.
        var captionLines = await page.Locator("#cluster caption").EvaluateAsync<int>(
            "caption => { const text = document.createRange(); text.selectNodeContents(caption); return text.getClientRects().length; }");
        Assert.Equal(1, captionLines);

        var screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots.FullName, "chart.png"), FullPage = true });
        Assert.Empty(consoleErrors);
    }

    private static async Task<int> HeightAsync(ILocator bar) =>
        int.Parse((await bar.GetAttributeAsync("height"))!, System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _dir.Dispose();
}
