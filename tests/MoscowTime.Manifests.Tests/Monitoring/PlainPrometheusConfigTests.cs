using System.Text.RegularExpressions;
using MoscowTime.Manifests.Tests.Rendering;
using YamlDotNet.Serialization;

namespace MoscowTime.Manifests.Tests.Monitoring;

/// <summary>
/// monitoring/prometheus.yml keeps exactly the two ports the PodMonitor scrapes, judged against the
/// pods the overlays really render (a relabelled-away port would silence every alert on it).
/// </summary>
public sealed class PlainPrometheusConfigTests
{
    [Theory, BothOverlays]
    public void Keep_rules_of_the_plain_config_keep_the_web_and_backup_ports_of_the_rendered_pods_only(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var keeps = KeepRules();

        var kept = rendered.Pod.Containers
            .SelectMany(container => (container.Ports ?? []).Select(port => MetaLabels(rendered.PodLabels, container.Name, port.Name)))
            .Where(target => keeps.All(keep => keep.Keeps(target)))
            .Select(target => target["__meta_kubernetes_pod_container_port_name"]);
        var otherApp = MetaLabels(new Dictionary<string, string> { ["app.kubernetes.io/name"] = "shop", ["app.kubernetes.io/instance"] = "shop" }, "web", "http");

        Assert.Equal(["http", "backup-http"], kept);
        Assert.False(keeps.All(keep => keep.Keeps(otherApp)), "another app's pod with a port named http is scraped too");
    }

    /// <summary>What pod discovery gives a container port: pod labels sanitised into label names.</summary>
    private static Dictionary<string, string> MetaLabels(IDictionary<string, string> podLabels, string container, string port)
    {
        var labels = podLabels.ToDictionary(
            label => "__meta_kubernetes_pod_label_" + Regex.Replace(label.Key, "[^a-zA-Z0-9_]", "_"), label => label.Value, StringComparer.Ordinal);
        labels["__meta_kubernetes_pod_container_name"] = container;
        labels["__meta_kubernetes_pod_container_port_name"] = port;
        labels["__meta_kubernetes_pod_phase"] = "Running";
        return labels;
    }

    private static List<Keep> KeepRules()
    {
        var config = new DeserializerBuilder().Build()
            .Deserialize<Dictionary<object, object>>(File.ReadAllText(Repository.Path("monitoring", "prometheus.yml")));
        var job = (Dictionary<object, object>)((List<object>)config["scrape_configs"]).Single();
        var keeps = ((List<object>)job["relabel_configs"]).Cast<Dictionary<object, object>>()
            .Where(rule => rule.GetValueOrDefault("action") is "keep" or "drop")
            .Select(rule => new Keep(
                [.. ((List<object>)rule["source_labels"]).Cast<string>()],
                new Regex($"^(?:{rule["regex"]})$"),
                (string)rule["action"] == "keep"))
            .ToList();
        Assert.NotEmpty(keeps);
        return keeps;
    }

    private sealed record Keep(string[] SourceLabels, Regex Pattern, bool KeepOnMatch)
    {
        public bool Keeps(IReadOnlyDictionary<string, string> target) =>
            Pattern.IsMatch(string.Join(';', SourceLabels.Select(label => target.GetValueOrDefault(label, "")))) == KeepOnMatch;
    }
}
