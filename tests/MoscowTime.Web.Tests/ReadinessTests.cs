using System.Net;
using System.Text.Json;
using MoscowTime.Testing;

namespace MoscowTime.Web.Tests;

public sealed class ReadinessTests : IDisposable
{
    private readonly TempDirectory _dir = new("ready");

    private string DatabasePath => _dir.File("visits.db");

    [Fact]
    public async Task Readiness_fails_with_the_reason_while_the_directory_is_unwritable_and_recovers_by_itself()
    {
        await using var app = await WebAppHost.StartAsync(DatabasePath);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/readyz")).StatusCode);

        using (WriteProtection.Apply(_dir.Path))
        {
            using var response = await app.Client.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            var reason = JsonDocument.Parse(await response.Content.ReadAsStringAsync())
                .RootElement.GetProperty("reason").GetString();
            Assert.Contains(_dir.Path, reason, StringComparison.Ordinal);
            Assert.Contains("not writable", reason, StringComparison.Ordinal);

            Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/livez")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task A_visit_that_cannot_be_committed_gets_503_is_not_counted_and_the_app_recovers()
    {
        await using var app = await WebAppHost.StartAsync(DatabasePath);
        Assert.Equal(1, WebAppHost.VisitsShown(await app.Client.GetStringAsync("/")));

        using (WriteProtection.Apply(_dir.Path))
        using (WriteProtection.Apply(DatabasePath + "-wal"))
        {
            using var refused = await app.Client.GetAsync("/");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("not recorded", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Client.GetAsync("/readyz")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/readyz")).StatusCode);
        Assert.Equal(2, WebAppHost.VisitsShown(await app.Client.GetStringAsync("/")));
        Assert.Equal(2, Databases.StoredVisits(DatabasePath));
    }

    [Fact]
    public async Task A_damaged_database_at_start_keeps_the_process_live_but_not_ready()
    {
        await File.WriteAllBytesAsync(DatabasePath, Enumerable.Repeat((byte)0x5A, 16384).ToArray());

        await using var app = await WebAppHost.StartAsync(DatabasePath);

        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/livez")).StatusCode);
        using var ready = await app.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("not a database", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await app.Client.GetAsync("/")).StatusCode);
    }

    public void Dispose() => _dir.Dispose();
}
