using System.Text.Json;
using MoscowTime.Sidecar;
using MoscowTime.Web;
using static MoscowTime.Manifests.Tests.Monitoring.SiteWithMonitoring;

namespace MoscowTime.Manifests.Tests.Monitoring;

/// <summary>
/// Every series the alerts and the dashboard read is one the real apps export from the start, so a
/// renamed or missing metric cannot leave an alert silently watching nothing.
/// </summary>
public sealed class MonitoredMetricsTests
{
    /// <summary>Exported by the cluster's own exporters, not by our apps.</summary>
    private static readonly string[] ExportedByKubernetes =
    [
        "up",
        "kube_pod_container_status_ready",
        "kube_pod_container_status_restarts_total",
        "kube_pod_init_container_status_restarts_total",
        "kubelet_volume_stats_available_bytes",
        "kubelet_volume_stats_capacity_bytes",
    ];

    [Fact]
    public async Task Every_metric_the_rules_and_the_dashboard_read_is_exported_by_the_apps_from_the_start()
    {
        var used = Expressions().SelectMany(PromQlMetricNames.In).ToHashSet(StringComparer.Ordinal);
        var exported = await ExportedAtStartAsync();

        var missing = used.Except(exported).Except(ExportedByKubernetes).Order(StringComparer.Ordinal);
        Assert.Empty(missing);
        // The list above stays honest: each name in it is used, and none is one the apps export already.
        Assert.Empty(ExportedByKubernetes.Except(used));
        Assert.Empty(ExportedByKubernetes.Intersect(exported));
        Assert.Contains("moscowtime_visits_rejected_total", used);
        Assert.Contains("moscowtime_backup_healthy", used);
        Assert.Contains("moscowtime_backup_remote_healthy", used);
    }

    [Theory]
    [InlineData("sum by (namespace, pod) (increase(moscowtime_visits_rejected_total[5m])) > 0", "moscowtime_visits_rejected_total")]
    [InlineData("histogram_quantile(0.99, sum by (pod, le) (rate(x_seconds_bucket{pod=~\"$pod\"}[$__rate_interval])))", "x_seconds_bucket")]
    [InlineData("label_replace(a{b=\"c\"} / d, \"pod\", \"$1\", \"persistentvolumeclaim\", \"visits-data-(.+)\") < 0.05", "a d")]
    [InlineData("increase(a_total[30m]) > 2 or increase(b_total[30m]) > 2", "a_total b_total")]
    [InlineData("label_values(moscowtime_visits_recorded_total{namespace=\"$namespace\"}, pod)", "moscowtime_visits_recorded_total")]
    public void Metric_names_are_read_out_of_expressions(string expression, string names)
    {
        Assert.Equal(names.Split(' '), PromQlMetricNames.In(expression));
    }

    private static IEnumerable<string> Expressions()
    {
        var site = Render(Rendering.Kustomize.Ordered);
        var rules = List(Map(Single(site, "PrometheusRule", "moscow-time"), "spec"), "groups")
            .Cast<Dictionary<object, object>>()
            .SelectMany(group => List(group, "rules").Cast<Dictionary<object, object>>())
            .Select(rule => (string)rule["expr"]);

        using var dashboard = JsonDocument.Parse((string)Map(Single(site, "ConfigMap", "moscow-time-dashboard"), "data").Values.Single());
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!);
        var variables = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(variable => variable.GetProperty("type").GetString() == "query")
            .Select(variable => variable.GetProperty("query").GetProperty("query").GetString()!);

        return [.. rules, .. panels, .. variables];
    }

    /// <summary>
    /// The sample names (histogram buckets included) of both apps' /metrics, before any visit or
    /// backup. The sidecar has a remote configured, as the remote-backup component sets it up: its
    /// remote series exist only then. The endpoint answers nothing; the series must be there anyway.
    /// </summary>
    private static async Task<HashSet<string>> ExportedAtStartAsync()
    {
        using var data = new TempDirectory("monitored-metrics");
        await using var web = await LoopbackApp.StartAsync(args => WebApp.Build(args),
            $"--Visits:DatabasePath={data.File("visits.db")}", "--Logging:LogLevel:Default=Warning");
        await using var sidecar = await LoopbackApp.StartAsync(args => SidecarApp.Build(args),
            $"--Backup:DatabasePath={data.File("visits.db")}", $"--Backup:Directory={data.File("backups")}", "--Logging:LogLevel:Default=Warning",
            "--Backup:Remote:Url=s3://backups/site", "--Backup:Remote:Endpoint=http://127.0.0.1:9", "--Backup:Remote:PodName=moscow-time-0");

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var app in new[] { web, sidecar })
        {
            foreach (var line in (await app.Client.GetStringAsync("/metrics")).Split('\n'))
            {
                if (line.Length > 0 && line[0] != '#')
                {
                    names.Add(line[..line.IndexOfAny(['{', ' '])]);
                }
            }
        }

        return names;
    }
}
