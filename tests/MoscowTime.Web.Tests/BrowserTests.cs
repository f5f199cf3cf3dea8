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

    [GeneratedRegex(@"^\d\d:\d\d:\d\d$")]
    private static partial Regex TimeOfDay();

    public void Dispose() => _dir.Dispose();
}
