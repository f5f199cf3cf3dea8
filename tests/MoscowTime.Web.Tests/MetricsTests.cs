using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoscowTime.Testing;
using MoscowTime.Web.Cluster;

namespace MoscowTime.Web.Tests;

/// <summary>
/// Each series is compared before and after what the test did: the figures must move by exactly the
/// visits and peer calls made. Each app reports only its own meters (PrometheusExporter), so these tests
/// run beside the others.
/// </summary>
public sealed class MetricsTests : IDisposable
{
    private readonly TempDirectory _dir = new("metrics");

    [Fact]
    public async Task The_visit_counter_rises_by_exactly_the_visits_recorded()
    {
        const int visits = 7;
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"));
        var before = await ScrapeAsync(app);

        for (var i = 0; i < visits; i++)
        {
            (await app.Client.GetAsync("/")).EnsureSuccessStatusCode();
        }

        // These record nothing, and neither does scraping.
        (await app.Client.GetAsync("/visits")).EnsureSuccessStatusCode();
        (await app.Client.GetAsync("/api/time")).EnsureSuccessStatusCode();
        (await app.Client.GetAsync("/readyz")).EnsureSuccessStatusCode();
        var after = await ScrapeAsync(app);

        Assert.Equal(visits, after.Sum("moscowtime_visits_recorded_total") - before.Sum("moscowtime_visits_recorded_total"));
        Assert.Equal(0, after.Sum("moscowtime_visits_rejected_total") - before.Sum("moscowtime_visits_rejected_total"));
        // One visit at a time: each is its own commit of one.
        Assert.Equal(visits, after.Sum("moscowtime_visits_batch_size_sum") - before.Sum("moscowtime_visits_batch_size_sum"));
        Assert.Equal(visits, after.Sum("moscowtime_visits_batch_size_count") - before.Sum("moscowtime_visits_batch_size_count"));
        Assert.Equal(visits, after.Sum("moscowtime_visits_commit_duration_seconds_count") - before.Sum("moscowtime_visits_commit_duration_seconds_count"));
        Assert.Equal(visits, Databases.StoredVisits(_dir.File("visits.db")));
    }

    [Fact]
    public async Task Request_durations_count_each_request_by_route_and_status()
    {
        const int visits = 5;
        const string name = "microsoft_aspnetcore_hosting_http_server_request_duration_count";
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"));
        var before = await ScrapeAsync(app);

        for (var i = 0; i < visits; i++)
        {
            (await app.Client.GetAsync("/")).EnsureSuccessStatusCode();
        }

        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/no-such-page")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Client.GetAsync("/no-such-page")).StatusCode);
        var after = await ScrapeAsync(app);

        // bench/run.sh counts the visits acknowledged from this series: it must count each one once.
        var page = "http_route=\"/\"";
        Assert.Equal(visits, after.Sum(name, page) - before.Sum(name, page));
        Assert.Equal(visits, after.Sum(name, "http_response_status_code=\"200\",http_route=\"/\"") - before.Sum(name, "http_response_status_code=\"200\",http_route=\"/\""));
        Assert.Equal(2, after.Sum(name, "http_response_status_code=\"404\"") - before.Sum(name, "http_response_status_code=\"404\""));
    }

    [Fact]
    public async Task Cluster_metrics_count_every_call_and_every_peer_that_did_not_answer()
    {
        const int fanOuts = 3;
        await using var peer = await WebAppHost.StartAsync(_dir.File("peer.db"), null, "--POD_NAME=metrics-peer");
        var silent = new Uri($"http://127.0.0.1:{FreePort.On(IPAddress.Loopback)}");
        await using var app = await WebAppHost.StartAsync(_dir.File("visits.db"), WithoutBackgroundRefresh,
            $"--Cluster:Peers:0={peer.BaseAddress.ToString().TrimEnd('/')}", $"--Cluster:Peers:1={silent.ToString().TrimEnd('/')}",
            // A loaded machine answers late, not never: only the silent peer may fail.
            "--Cluster:PeerTimeout=00:00:10", "--Cluster:FanOutTimeout=00:00:30");
        var before = await ScrapeAsync(app);
        var answering = new[] { $"peer=\"{peer.BaseAddress.Authority}\"", "peer=\"metrics-peer\"" };
        var silentLabel = $"peer=\"{silent.Authority}\"";

        for (var i = 0; i < fanOuts; i++)
        {
            (await app.Client.GetAsync("/visits/cluster")).EnsureSuccessStatusCode();
        }

        var after = await ScrapeAsync(app);

        // Refused twice, then the circuit opens: every one of them is a failure, whatever its reason.
        Assert.Equal(fanOuts, after.Sum("moscowtime_cluster_peer_call_failures_total", silentLabel) - before.Sum("moscowtime_cluster_peer_call_failures_total", silentLabel));
        Assert.Equal(fanOuts, after.Sum("moscowtime_cluster_peer_call_duration_seconds_count", silentLabel) - before.Sum("moscowtime_cluster_peer_call_duration_seconds_count", silentLabel));
        // The answering peer is named by its address until it has answered, then by its pod name.
        Assert.Equal(fanOuts, answering.Sum(label => after.Sum("moscowtime_cluster_peer_call_duration_seconds_count", label) - before.Sum("moscowtime_cluster_peer_call_duration_seconds_count", label)));
        Assert.Equal(0, answering.Sum(label => after.Sum("moscowtime_cluster_peer_call_failures_total", label) - before.Sum("moscowtime_cluster_peer_call_failures_total", label)));
        Assert.Equal(1, after.Sum("moscowtime_cluster_peers_unanswered"));
    }

    /// <summary>No refresher asking the peers behind the test's back, between its two readings.</summary>
    private static void WithoutBackgroundRefresh(IServiceCollection services) =>
        services.Remove(services.Single(descriptor => descriptor.ServiceType == typeof(IHostedService) && descriptor.ImplementationType == typeof(ClusterRefresher)));

    private static Task<IReadOnlyDictionary<string, double>> ScrapeAsync(LoopbackApp app) => PrometheusText.ScrapeAsync(app.Client);

    public void Dispose() => _dir.Dispose();
}
