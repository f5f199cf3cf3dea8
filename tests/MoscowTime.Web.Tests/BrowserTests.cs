using System.Text.RegularExpressions;
using Microsoft.Playwright;
using MoscowTime.Testing;

namespace MoscowTime.Web.Tests;

/// <summary>Debian's chromium, driven by Playwright; never a downloaded browser.</summary>
public sealed partial class BrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly TempDirectory _dir = new("browser");

    [Fact]
    public async Task Page_shows_the_time_pod_and_count_and_the_clock_ticks()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"));
        await app.Client.GetStringAsync("/");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        });
        var page = await browser.NewPageAsync();
        var scriptErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                scriptErrors.Add(message.Text);
            }
        };

        await page.GotoAsync(app.BaseAddress.ToString());

        var clock = page.Locator("#clock");
        var first = await clock.InnerTextAsync();
        Assert.Matches(TimeOfDay(), first);
        Assert.Equal("moscow-time-test", await page.Locator("#pod").InnerTextAsync());
        Assert.Equal("2", await page.Locator("#visits").InnerTextAsync());
        await Assertions.Expect(clock).Not.ToHaveTextAsync(first, new() { Timeout = 5_000 });
        Assert.Matches(TimeOfDay(), await clock.InnerTextAsync());

        var screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots.FullName, "home.png"), FullPage = true });
        Assert.Empty(scriptErrors);
    }

    /// <summary>
    /// A phone (390 px, an iPhone's width) and a laptop: nothing scrolls sideways, and the heading
    /// and the chart's caption are laid out inside the viewport with room to spare.
    /// </summary>
    [Theory]
    [InlineData(390)]
    [InlineData(1280)]
    public async Task Page_fits_the_viewport_without_horizontal_scrolling(int width)
    {
        const int MinimumMargin = 8;
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"), null, "--POD_NAME=moscow-time-0");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Chromium,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = width, Height = 844 } });

        await page.GotoAsync(app.BaseAddress.ToString());

        var (scrollWidth, clientWidth) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"),
            await page.EvaluateAsync<int>("document.documentElement.clientWidth"));
        Assert.True(scrollWidth <= clientWidth, $"at {width} px the page is {scrollWidth} px wide, wider than its {clientWidth} px viewport");
        foreach (var selector in (string[])["h1", "#history figcaption"])
        {
            // The text's own boxes, one per line: a block's box can fit while its text runs out of it.
            var edges = await page.Locator(selector).EvaluateAsync<double[]>("""
                element => {
                  const text = document.createRange();
                  text.selectNodeContents(element);
                  const lines = [...text.getClientRects()];
                  return [Math.min(...lines.map(line => line.left)), Math.max(...lines.map(line => line.right))];
                }
                """);
            Assert.True(edges[0] >= MinimumMargin && edges[1] <= clientWidth - MinimumMargin,
                $"at {width} px, {selector} spans {edges[0]:0} to {edges[1]:0} px, not inside the {clientWidth} px viewport with {MinimumMargin} px to spare");
        }

        var screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(screenshots.FullName, $"home-{width}.png"), FullPage = true });
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d$")]
    private static partial Regex TimeOfDay();

    public void Dispose() => _dir.Dispose();
}
