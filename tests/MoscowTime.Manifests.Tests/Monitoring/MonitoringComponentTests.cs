using System.Text.Json;
using System.Text.RegularExpressions;
using MoscowTime.Manifests.Tests.Rendering;
using static MoscowTime.Manifests.Tests.Monitoring.SiteWithMonitoring;

namespace MoscowTime.Manifests.Tests.Monitoring;

/// <summary>kustomize/components/monitoring, added to each overlay the way docs/operations.md tells a site to.</summary>
public sealed partial class MonitoringComponentTests
{
    private static readonly string[] ScrapedPorts = ["http", "backup-http"];

    [Fact]
    public void Operations_guide_shows_the_one_line_a_site_overlay_adds()
    {
        // The same line, relative to a site overlay beside the checkout, that these tests render.
        var guide = File.ReadAllText(Repository.Path("docs", "operations.md"));

        Assert.Contains("components:\n  - ../kustomize/components/monitoring\n", guide, StringComparison.Ordinal);
    }

    [Fact]
    public void Operations_guides_patch_for_another_helm_release_relabels_the_PodMonitor_and_the_PrometheusRule_only()
    {
        var guide = File.ReadAllText(Repository.Path("docs", "operations.md"));
        var patch = ReleasePatch().Match(guide);
        Assert.True(patch.Success, "docs/operations.md shows no patch of the release label");

        var site = Render(Kustomize.Ordered, patch.Value);

        Assert.Equal("my-release", Release(Single(site, "PodMonitor", "moscow-time")));
        Assert.Equal("my-release", Release(Single(site, "PrometheusRule", "moscow-time")));
        Assert.Null(Release(Single(site, "ConfigMap", "moscow-time-dashboard")));
        Assert.Equal(Serialize(Render(Kustomize.Ordered).Where(d => (string)d["kind"] is not ("PodMonitor" or "PrometheusRule"))),
            Serialize(site.Where(d => (string)d["kind"] is not ("PodMonitor" or "PrometheusRule"))));
    }

    [Theory, BothOverlays]
    public void Component_adds_a_PodMonitor_a_PrometheusRule_and_a_dashboard_and_changes_nothing_else(string overlay)
    {
        var site = Render(overlay);
        var added = new[] { ("PodMonitor", "moscow-time"), ("PrometheusRule", "moscow-time"), ("ConfigMap", "moscow-time-dashboard") };

        foreach (var (kind, name) in added)
        {
            Single(site, kind, name);
        }

        Assert.Equal("monitoring.coreos.com/v1", Single(site, "PodMonitor", "moscow-time")["apiVersion"]);
        Assert.Equal("monitoring.coreos.com/v1", Single(site, "PrometheusRule", "moscow-time")["apiVersion"]);
        var others = site.Where(d => !added.Contains(((string)d["kind"], Name(d))));
        Assert.Equal(Serialize(WithoutComponent(overlay)), Serialize(others));
    }

    [Theory, BothOverlays]
    public void PodMonitor_selects_the_StatefulSets_pods(string overlay)
    {
        var selector = Map(Map(Single(Render(overlay), "PodMonitor", "moscow-time"), "spec"), "selector");
        var matchLabels = Map(selector, "matchLabels").ToDictionary(pair => (string)pair.Key, pair => (string)pair.Value);

        Assert.Equal(["matchLabels"], selector.Keys.Cast<string>());
        Assert.True(RenderedManifests.Selects(matchLabels, Kustomize.Render(overlay).PodLabels),
            $"selector {string.Join(",", matchLabels)} does not match the pod labels {string.Join(",", Kustomize.Render(overlay).PodLabels)}");
    }

    [Theory, BothOverlays]
    public void PodMonitor_scrapes_metrics_on_the_ports_the_containers_name_and_the_NetworkPolicy_lets_in(string overlay)
    {
        var endpoints = List(Map(Single(Render(overlay), "PodMonitor", "moscow-time"), "spec"), "podMetricsEndpoints")
            .Cast<Dictionary<object, object>>()
            .ToList();
        var rendered = Kustomize.Render(overlay);
        var containerPorts = rendered.Pod.Containers.SelectMany(c => c.Ports ?? []).Select(p => p.Name).ToList();
        var admitted = rendered.NetworkPolicy.Spec.Ingress.SelectMany(rule => rule.Ports ?? []).Select(p => p.Port.Value).ToList();

        Assert.Equal(ScrapedPorts, endpoints.Select(e => (string)e["port"]));
        Assert.All(endpoints, endpoint => Assert.Equal("/metrics", endpoint["path"]));
        Assert.All(ScrapedPorts, port => Assert.Contains(port, containerPorts));
        Assert.All(ScrapedPorts, port => Assert.Contains(port, admitted));
    }

    [Theory, BothOverlays]
    public void Dashboard_is_a_ConfigMap_Grafana_loads_holding_a_dashboard(string overlay)
    {
        var configMap = Single(Render(overlay), "ConfigMap", "moscow-time-dashboard");
        var labels = Map(Map(configMap, "metadata"), "labels");
        var data = Map(configMap, "data");

        Assert.Equal("1", labels["grafana_dashboard"]);
        var json = (string)Assert.Single(data).Value;
        using var dashboard = JsonDocument.Parse(json);
        Assert.Equal("moscow-time", dashboard.RootElement.GetProperty("uid").GetString());
        Assert.NotEmpty(dashboard.RootElement.GetProperty("panels").EnumerateArray());
    }

    private static string? Release(Dictionary<object, object> document) =>
        Map(document, "metadata").TryGetValue("labels", out var labels) && ((Dictionary<object, object>)labels).TryGetValue("release", out var release)
            ? (string)release
            : null;

    [GeneratedRegex(@"^patches:\n  - target:\n      group: monitoring\.coreos\.com\n(?:[ ].*\n)+", RegexOptions.Multiline)]
    private static partial Regex ReleasePatch();

    private static string Serialize(IEnumerable<Dictionary<object, object>> documents) =>
        string.Join("---\n", documents.Select(d => new YamlDotNet.Serialization.SerializerBuilder().Build().Serialize(d)));
}
