using System.Net;
using System.Net.Http.Json;
using MoscowTime.Testing;
using MoscowTime.Web.Pods;

namespace MoscowTime.Web.Tests;

public sealed class VisitCountingTests : IDisposable
{
    private readonly TempDirectory _dir = new("web");

    private string DatabasePath => _dir.File("visits.db");

    [Fact]
    public async Task Concurrent_visits_are_each_counted_once_and_shown_distinct_numbers()
    {
        const int visits = 2_000;
        const int connections = 64;
        await using var app = await WebAppHost.StartAsync(DatabasePath);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = app.BaseAddress };

        var shown = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Parallel.ForEachAsync(Enumerable.Range(0, visits), new ParallelOptions { MaxDegreeOfParallelism = connections }, async (_, ct) =>
        {
            using var response = await client.GetAsync("/", ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            shown.Add(WebAppHost.VisitsShown(await response.Content.ReadAsStringAsync(ct)));
        });

        Assert.Equal(Enumerable.Range(1, visits).Select(i => (long)i), shown.Order());
        Assert.Equal(visits, Databases.StoredVisits(DatabasePath));
        Assert.Equal(new PodVisits("moscow-time-test", visits), await app.Client.GetFromJsonAsync<PodVisits>("/visits"));
    }

    [Fact]
    public async Task Count_survives_a_restart_on_the_same_file()
    {
        await using (var first = await WebAppHost.StartAsync(DatabasePath))
        {
            for (var i = 0; i < 3; i++)
            {
                await first.Client.GetStringAsync("/");
            }

            await first.StopAsync();
        }

        await using var second = await WebAppHost.StartAsync(DatabasePath);
        Assert.Equal(4, WebAppHost.VisitsShown(await second.Client.GetStringAsync("/")));
    }

    [Fact]
    public async Task An_older_schema_is_migrated_at_start_and_keeps_its_visits()
    {
        var old = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        Databases.CreateVersion1(DatabasePath, Enumerable.Range(0, 7).Select(i => old.AddMinutes(i * 20)));

        await using var app = await WebAppHost.StartAsync(DatabasePath);

        Assert.Equal(8, WebAppHost.VisitsShown(await app.Client.GetStringAsync("/")));
        Assert.Equal(MoscowTime.Storage.Schema.CurrentVersion, Databases.UserVersion(DatabasePath));
    }

    [Theory]
    [InlineData("GET", "/visits", HttpStatusCode.OK)]
    [InlineData("GET", "/api/time", HttpStatusCode.OK)]
    [InlineData("GET", "/livez", HttpStatusCode.OK)]
    [InlineData("GET", "/readyz", HttpStatusCode.OK)]
    [InlineData("GET", "/metrics", HttpStatusCode.OK)]
    [InlineData("HEAD", "/readyz", HttpStatusCode.OK)]
    [InlineData("GET", "/favicon.ico", HttpStatusCode.NotFound)]
    [InlineData("GET", "/index.html", HttpStatusCode.NotFound)]
    [InlineData("GET", "/../../etc/passwd", HttpStatusCode.NotFound)]
    [InlineData("POST", "/", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PUT", "/", HttpStatusCode.MethodNotAllowed)]
    [InlineData("DELETE", "/visits", HttpStatusCode.MethodNotAllowed)]
    [InlineData("HEAD", "/", HttpStatusCode.MethodNotAllowed)]
    [InlineData("POST", "/api/time", HttpStatusCode.MethodNotAllowed)]
    public async Task Only_GET_of_the_page_records_a_visit(string method, string path, HttpStatusCode expected)
    {
        await using var app = await WebAppHost.StartAsync(DatabasePath);

        for (var i = 0; i < 3; i++)
        {
            using var response = await app.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(expected, response.StatusCode);
        }

        Assert.Equal(0, Databases.StoredVisits(DatabasePath));
        Assert.Equal(1, WebAppHost.VisitsShown(await app.Client.GetStringAsync("/")));
    }

    [Fact]
    public async Task Page_is_not_cacheable_and_allows_only_its_own_inline_assets()
    {
        await using var app = await WebAppHost.StartAsync(DatabasePath);

        using var response = await app.Client.GetAsync("/");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal("text/html; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("moscow-time-test", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_count_recorded_visits_and_commit_batches()
    {
        await using var app = await WebAppHost.StartAsync(DatabasePath);
        await app.Client.GetStringAsync("/");

        var metrics = await app.Client.GetStringAsync("/metrics");

        Assert.Contains("# TYPE moscowtime_visits_recorded_total counter", metrics, StringComparison.Ordinal);
        Assert.Equal(1, PrometheusText.Parse(metrics)["moscowtime_visits_recorded_total"]);
        Assert.Equal(0, PrometheusText.Parse(metrics)["moscowtime_visits_rejected_total"]);
        Assert.Contains("moscowtime_visits_batch_size_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_visits_commit_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        // Each histogram keeps the buckets its instrument advises (ours: batches up to 4096 visits).
        Assert.Contains("moscowtime_visits_batch_size_bucket{le=\"4096\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_visits_commit_duration_seconds_bucket{le=\"0.0005\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration", metrics, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_apps_in_one_process_each_report_their_own_counts()
    {
        await using var first = await WebAppHost.StartAsync(DatabasePath);
        await using var second = await WebAppHost.StartAsync(_dir.File("other.db"));
        await first.Client.GetStringAsync("/");
        await first.Client.GetStringAsync("/");
        await second.Client.GetStringAsync("/");

        Assert.Equal(2, (await PrometheusText.ScrapeAsync(first.Client))["moscowtime_visits_recorded_total"]);
        Assert.Equal(1, (await PrometheusText.ScrapeAsync(second.Client))["moscowtime_visits_recorded_total"]);
        Assert.Equal(2, (await PrometheusText.ScrapeAsync(first.Client))["moscowtime_visits_batch_size_count"]);
    }

    public void Dispose() => _dir.Dispose();
}
