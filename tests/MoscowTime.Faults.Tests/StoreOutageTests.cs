using System.Net;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;
using Xunit.Abstractions;

namespace MoscowTime.Faults.Tests;

/// <summary>
/// The object store down for a minute of real time while visits come in: real app processes, a real s3rver stopped and
/// started again, and the store's content checked against what the visitors were told.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class StoreOutageTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string Prefix = "site";
    private const int VisitsPerSecond = 5;
    private static readonly TimeSpan Outage = TimeSpan.FromMinutes(1);

    /// <summary>Below the outage, so /healthz turns 503 during it; above Backup:Interval, as the sidecar requires.</summary>
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    /// <summary>The lag the metric must reach during the outage: most of it, leaving room for the first commit's timing.</summary>
    private const double LagSecondsReached = 50;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new("store-outage");
    private S3Server _store = null!;

    private string Data => _dir.File("data");
    private string Empty => _dir.File("empty");
    private string Database => Path.Combine(Data, "visits.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Data);
        Directory.CreateDirectory(Empty);
        _store = await S3Server.StartAsync(_dir.File("s3"));
    }

    [Fact]
    public async Task The_store_down_for_a_minute_under_visits_the_lag_and_healthz_show_it_then_the_backlog_ships_and_nothing_is_lost()
    {
        await using var web = await Apps.StartWebAsync(Database);
        await using var sidecar = await Apps.StartSidecarAsync(Database, Path.Combine(Data, "backups"),
            ["--Backup:Interval=00:00:05", $"--Backup:MaxAge={MaxAge}", .. RemoteArgs()]);
        using var client = new HttpClient { BaseAddress = sidecar.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        await Poll.UntilAsync(() => Probe.GetAsync(client, "/healthz"), health => health.Text("remoteChain") is not null, Patience,
            "the chain's snapshot confirmed in the store (remoteChain)");

        long acknowledged, sent;
        await using (var journal = VisitJournal.Start(web.BaseAddress!, Outage * 2, VisitsPerSecond))
        {
            _store.Stop();
            var back = DateTimeOffset.UtcNow + Outage;
            var (lag, health) = await Poll.UntilAsync(async () => (Lag: await LagAsync(client), Health: await Probe.GetAsync(client, "/healthz")),
                seen => seen.Lag >= LagSecondsReached && seen.Health.Status == HttpStatusCode.ServiceUnavailable, Outage + Patience,
                $"the lag past {LagSecondsReached} s and /healthz 503 with the store down");
            output.WriteLine($"store down: lag {lag} s, /healthz {health}");
            Assert.Contains("remote shipping lags", health.Reason, StringComparison.Ordinal);
            Assert.True(health.Body.GetProperty("remoteLagSeconds").GetDouble() >= LagSecondsReached, health.ToString());
            await Task.Delay(Max(back - DateTimeOffset.UtcNow, TimeSpan.Zero));

            await _store.StartAgainAsync();
            // Visits go on across the return: the backlog and the new commits ship together.
            await Poll.UntilAsync(() => LagAsync(client), seconds => seconds == 0, Patience, "the backlog shipped (lag 0) with the store back");
            await journal.StopAsync();
            acknowledged = journal.Acknowledged;
            sent = journal.SentBy(DateTimeOffset.UtcNow);
            output.WriteLine($"store back: {journal}");
        }

        using var visits = new HttpClient { BaseAddress = web.BaseAddress };
        var live = (await Probe.GetAsync(visits, "/visits")).Number("visits");
        Assert.True(live >= acknowledged && live <= sent, $"the live count {live} is not between the {acknowledged} acknowledged and the {sent} sent");
        await Poll.UntilAsync(() => LagAsync(client), seconds => seconds == 0, Patience, "the last visits shipped");
        var healthy = await Poll.UntilAsync(() => Probe.GetAsync(client, "/healthz"), probe => probe.Status == HttpStatusCode.OK, Patience,
            "/healthz 200 again once caught up");
        Assert.Contains("holds every commit seen", healthy.Reason, StringComparison.Ordinal);

        // The store alone, onto an empty volume: exactly what the web app counted, so every acknowledged visit. Lag 0 says
        // every commit the sidecar has read is shipped; the last ones may still be unread, so restore until they arrive.
        var attempt = 0;
        await Poll.UntilAsync(async () =>
        {
            var empty = Directory.CreateDirectory(Path.Combine(Empty, $"{++attempt}")).FullName;
            var restored = Path.Combine(empty, "visits.db");
            var (code, text) = await Apps.RunToEndAsync(ChildProcess.Sidecar, Empty,
                ["restore", $"--Backup:DatabasePath={restored}", $"--Backup:Directory={Path.Combine(empty, "backups")}", .. RemoteArgs()]);
            Assert.True(code == 0, text);
            var count = Databases.StoredVisits(restored);
            Assert.True(count <= live, $"the store holds {count} visits, more than the {live} counted: {text}");
            return count;
        }, count => count == live, Patience, $"a restore onto an empty volume to hold the {live} visits counted");
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static async Task<double> LagAsync(HttpClient sidecar) =>
        (await PrometheusText.ScrapeAsync(sidecar)).Sum("moscowtime_backup_remote_lag_seconds");

    private string[] RemoteArgs() => Apps.RemoteArgs(_store, Prefix);
}
