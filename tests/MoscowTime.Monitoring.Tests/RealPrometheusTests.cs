using System.Globalization;
using System.Net;
using System.Text.Json;
using MoscowTime.Monitoring.Tests.Infrastructure;

namespace MoscowTime.Monitoring.Tests;

/// <summary>
/// A real Prometheus, configured from monitoring/prometheus.yml and the rule file, scrapes the real
/// web app and sidecar (Release builds, separate processes on 127.0.0.1).
/// </summary>
public sealed class RealPrometheusTests : IDisposable
{
    private const string Pod = "moscow-time-0";
    private static readonly TimeSpan AppAllowance = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AlertAllowance = TimeSpan.FromSeconds(120);

    private readonly TempDirectory _dir = new("real-prometheus");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task No_alert_while_all_is_healthy_and_the_backup_alert_fires_once_the_backup_directory_is_unwritable()
    {
        var database = _dir.File("visits.db");
        var backups = Directory.CreateDirectory(_dir.File("backups")).FullName;
        await using var web = await ChildProcess.StartAsync(ChildProcess.WebApp, _dir.Path, listens: true,
            "--urls", "http://127.0.0.1:0", $"--Visits:DatabasePath={database}", $"--POD_NAME={Pod}", "--Logging:LogLevel:Default=Warning");
        await VisitAsync(web);
        await using var sidecar = await ChildProcess.StartAsync(ChildProcess.Sidecar, _dir.Path, listens: true,
            "--urls", "http://127.0.0.1:0", $"--Backup:DatabasePath={database}", $"--Backup:Directory={backups}",
            "--Backup:Interval=00:00:01", "--Backup:FinalBackupQuietPeriod=00:00:00", "--Logging:LogLevel:Default=Warning");
        await Poll.UntilAsync(() => StatusAsync(new Uri(sidecar.BaseAddress!, "/healthz")), status => status == HttpStatusCode.OK,
            AppAllowance, "the sidecar's first backup (/healthz 200)");

        var config = ConfigForLoopback.Write(_dir, "1s",
            new DiscoveredPort(web.BaseAddress!, Pod, "web", "http"),
            new DiscoveredPort(sidecar.BaseAddress!, Pod, "backup", "backup-http"),
            // Another app's pod, and a port of ours by another name: the example's relabelling drops both.
            new DiscoveredPort(web.BaseAddress!, "shop-0", "web", "http", AppName: "shop"),
            new DiscoveredPort(sidecar.BaseAddress!, Pod, "backup", "debug"));
        await using var prometheus = await PrometheusServer.StartAsync(config, _dir.File("prometheus-data"));

        // Healthy: both containers scraped, every rule evaluated on what was scraped, and no alert at all.
        var scrapedAt = await Poll.UntilAsync<double?>(
            () => ValueAtAsync(prometheus, $"moscowtime_backup_healthy{{pod=\"{Pod}\"}} == 1 and on (pod) (count by (pod) (up{{job=\"moscow-time\"}} == 1) == 2)"),
            sample => sample is not null, AppAllowance, "Prometheus to scrape both containers and see healthy backups");
        await Poll.UntilAsync<double>(() => EarliestEvaluationAsync(prometheus), evaluated => evaluated > scrapedAt!.Value + 1,
            AppAllowance, "every rule group to be evaluated after that scrape");
        Assert.Empty(await prometheus.AlertsAsync());
        await AssertOnlyOurTwoPortsAreScrapedAsync(prometheus);
        await AssertEveryDashboardQueryIsAnsweredAsync(prometheus);

        // Unwritable: the next passes fail, the sidecar reports unhealthy, and the alert fires for the pod.
        using (UnwritableDirectory.Make(backups))
        {
            var now = await Poll.UntilAsync(
                async () =>
                {
                    await VisitAsync(web); // a changed database, so every pass must write a backup
                    return new AlertsNow(await prometheus.AlertsAsync());
                },
                alerts => alerts.Firing("MoscowTimeBackupUnhealthy") is not null,
                AlertAllowance,
                "MoscowTimeBackupUnhealthy to fire");

            var fired = now.Firing("MoscowTimeBackupUnhealthy")!;
            Assert.Equal(Pod, fired.Labels["pod"]);
            Assert.Equal("backup", fired.Labels["container"]);
            Assert.Equal("backup-http", fired.Labels["endpoint"]);
            Assert.Equal("critical", fired.Labels["severity"]);
            Assert.Contains(Pod, fired.Annotations["summary"], StringComparison.Ordinal);
            Assert.Contains("moscowtime_backup_healthy = 0", fired.Annotations["description"], StringComparison.Ordinal);
            // Visits are still committed: only the backups are broken.
            Assert.DoesNotContain(now.Alerts, alert => alert.Name is "MoscowTimeVisitsRejected" or "MoscowTimeMetricsDown");
        }
    }

    private async Task VisitAsync(ChildProcess web) =>
        (await _http.GetAsync(new Uri(web.BaseAddress!, "/"))).EnsureSuccessStatusCode();

    private async Task<HttpStatusCode> StatusAsync(Uri uri)
    {
        using var response = await _http.GetAsync(uri);
        return response.StatusCode;
    }

    /// <summary>The evaluation time of the query's first sample, or null while it has none.</summary>
    private static async Task<double?> ValueAtAsync(PrometheusServer prometheus, string query)
    {
        var result = (await prometheus.ApiAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}")).GetProperty("result");
        return result.GetArrayLength() == 0 ? null : result[0].GetProperty("value")[0].GetDouble();
    }

    /// <summary>When the rule group evaluated longest ago last ran (Unix seconds).</summary>
    private static async Task<double> EarliestEvaluationAsync(PrometheusServer prometheus) =>
        (await prometheus.ApiAsync("/api/v1/rules")).GetProperty("groups").EnumerateArray()
            .Min(group => DateTimeOffset.Parse(group.GetProperty("lastEvaluation").GetString()!, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds() / 1000.0);

    private static async Task AssertOnlyOurTwoPortsAreScrapedAsync(PrometheusServer prometheus)
    {
        var targets = await prometheus.ApiAsync("/api/v1/targets");
        var active = targets.GetProperty("activeTargets").EnumerateArray()
            .Select(target => target.GetProperty("labels"))
            .Select(labels => $"{labels.GetProperty("namespace").GetString()}/{labels.GetProperty("pod").GetString()}/{labels.GetProperty("container").GetString()}/{labels.GetProperty("endpoint").GetString()}")
            .Order(StringComparer.Ordinal);

        Assert.Equal([$"test/{Pod}/backup/backup-http", $"test/{Pod}/web/http"], active);
        Assert.Equal(2, targets.GetProperty("droppedTargets").GetArrayLength());
    }

    /// <summary>
    /// Each panel's query, with Grafana's variables filled in, is PromQL this Prometheus accepts;
    /// those that read only what our apps export without a remote (not the shipping, drill or cluster series)
    /// also return data.
    /// </summary>
    private static async Task AssertEveryDashboardQueryIsAnsweredAsync(PrometheusServer prometheus)
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Repository.Path("kustomize", "components", "monitoring", "dashboard.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!
                .Replace("$namespace", "test", StringComparison.Ordinal)
                .Replace("$pod", ".*", StringComparison.Ordinal)
                .Replace("$__rate_interval", "1m", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(queries);
        foreach (var query in queries)
        {
            using var response = await prometheus.Client.GetAsync($"/api/v1/query?query={Uri.EscapeDataString(query)}");
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"Prometheus refused the dashboard query {query}: {body}");
            var fromOurApps = !query.Contains("kube", StringComparison.Ordinal) && !query.Contains("_remote_", StringComparison.Ordinal)
                && !query.Contains("_restore_", StringComparison.Ordinal);
            if (fromOurApps)
            {
                using var answer = JsonDocument.Parse(body);
                Assert.True(answer.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() > 0, $"the dashboard query {query} returns nothing");
            }
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        UnwritableDirectory.Restore(_dir.File("backups"));
        _dir.Dispose();
    }

    private sealed record AlertsNow(IReadOnlyList<ActiveAlert> Alerts)
    {
        public ActiveAlert? Firing(string name) => Alerts.FirstOrDefault(alert => alert.Name == name && alert.State == "firing");

        public override string ToString() => Alerts.Count == 0 ? "no alerts" : string.Join(", ", Alerts);
    }
}
