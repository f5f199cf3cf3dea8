using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Testing;
using MoscowTime.Web.Apis;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Tests;

public sealed class MoscowTimeTests : IDisposable
{
    private static readonly DateTimeOffset UtcNow = new(2026, 11, 24, 0, 36, 32, TimeSpan.Zero);
    private readonly TempDirectory _dir = new("time");

    [Fact]
    public async Task Api_and_page_show_utc_plus_3_from_the_injected_clock()
    {
        var time = new FakeTimeProvider(UtcNow);
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"), services => services.AddSingleton<TimeProvider>(time));

        var reading = await app.Client.GetFromJsonAsync<TimeReading>("/api/time");
        var page = await app.Client.GetStringAsync("/");

        Assert.Equal("2026-11-24T03:36:32+03:00", reading!.Moscow);
        Assert.Equal("2026-11-24T00:36:32Z", reading.Utc);
        Assert.Equal(180, reading.OffsetMinutes);
        Assert.Equal(MoscowClock.ZoneId, reading.Zone);
        Assert.Contains(">03:36:32</div>", page, StringComparison.Ordinal);
        Assert.Contains(">2026-11-24</div>", page, StringComparison.Ordinal);
    }

    /// <summary>The fallback without tz data (MoscowTime.Faults.Tests runs the app so) is right only while this holds.</summary>
    [Fact]
    public void Fixed_offset_agrees_with_the_tz_database_now_and_for_the_year_ahead()
    {
        // The tz database knows of a change as soon as it is announced, usually months ahead: this
        // fails on the first test run of an updated tzdata, not on the day. Without the zone this
        // throws rather than skips: the test images and CI have tzdata, so a missing zone is a broken machine.
        var zone = TimeZoneInfo.FindSystemTimeZoneById(MoscowClock.ZoneId);
        var now = TimeProvider.System.GetUtcNow();

        var disagreeing = Enumerable.Range(0, 366 * 24)
            .Select(hours => now.AddHours(hours))
            .Where(instant => zone.GetUtcOffset(instant) != MoscowClock.FixedOffset)
            .Select(instant => $"{instant:u} is {TimeZoneInfo.ConvertTime(instant, zone):yyyy-MM-dd HH:mm zzz} in {MoscowClock.ZoneId}");
        Assert.Empty(disagreeing.Take(1));
    }

    [Fact]
    public async Task Time_follows_the_clock_across_midnight_in_moscow()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 31, 20, 59, 59, TimeSpan.Zero));
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"), services => services.AddSingleton<TimeProvider>(time));

        Assert.Equal("2026-12-31T23:59:59+03:00", (await app.Client.GetFromJsonAsync<TimeReading>("/api/time"))!.Moscow);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("2027-01-01T00:00:00+03:00", (await app.Client.GetFromJsonAsync<TimeReading>("/api/time"))!.Moscow);
    }

    public void Dispose() => _dir.Dispose();
}
