using System.Globalization;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;

namespace MoscowTime.Faults.Tests;

/// <summary>
/// An image without time-zone data (chiseled, or a trimmed tzdata package): the runtime reads zones
/// from TZDIR, here an empty directory, so "Europe/Moscow" cannot be found.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class MissingTimeZoneDataTests : IDisposable
{
    private readonly TempDirectory _dir = new("no-tzdata");

    [Fact]
    public async Task Without_time_zone_data_the_time_is_still_utc_plus_3()
    {
        var zoneInfo = Directory.CreateDirectory(_dir.File("zoneinfo")).FullName;
        await using var web = await ChildProcess.StartAsync(ChildProcess.WebApp, _dir.Path, listens: true,
            new Dictionary<string, string> { ["TZDIR"] = zoneInfo }, Apps.WebArgs(_dir.File("visits.db")));
        using var client = new HttpClient { BaseAddress = web.BaseAddress };

        var time = await Probe.GetAsync(client, "/api/time");
        var moscow = DateTimeOffset.Parse(time.Text("moscow")!, CultureInfo.InvariantCulture);
        var utc = DateTimeOffset.Parse(time.Text("utc")!, CultureInfo.InvariantCulture);

        Assert.Contains("fixed", time.Text("zone"), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(3), moscow.Offset);
        Assert.Equal(utc, moscow);
    }

    public void Dispose() => _dir.Dispose();
}
