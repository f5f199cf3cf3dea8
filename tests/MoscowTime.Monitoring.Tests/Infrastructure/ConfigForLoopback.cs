using System.Text.RegularExpressions;
using YamlDotNet.Serialization;

namespace MoscowTime.Monitoring.Tests.Infrastructure;

/// <summary>A container port as Kubernetes' pod discovery would describe it.</summary>
internal sealed record DiscoveredPort(Uri Address, string Pod, string Container, string PortName, string AppName = "moscow-time")
{
    /// <summary>The labels `kubernetes_sd_configs` with `role: pod` gives such a target.</summary>
    public Dictionary<object, object> MetaLabels => new()
    {
        ["__meta_kubernetes_namespace"] = "test",
        ["__meta_kubernetes_pod_name"] = Pod,
        ["__meta_kubernetes_pod_phase"] = "Running",
        ["__meta_kubernetes_pod_container_name"] = Container,
        ["__meta_kubernetes_pod_container_port_name"] = PortName,
        ["__meta_kubernetes_pod_label_app_kubernetes_io_name"] = AppName,
        ["__meta_kubernetes_pod_label_app_kubernetes_io_instance"] = AppName,
    };
}

/// <summary>
/// monitoring/prometheus.yml and the rule file, pointed at apps on 127.0.0.1: the example's own
/// relabelling decides what is scraped and how it is labelled; only discovery is replaced by static
/// targets that carry the labels pod discovery would give them.
/// </summary>
internal static partial class ConfigForLoopback
{
    /// <summary>Writes the configuration and a copy of the rules into <paramref name="directory"/>.</summary>
    /// <param name="forDuration">Every alert's `for:`, shortened so the test need not wait minutes.</param>
    public static string Write(TempDirectory directory, string forDuration, params DiscoveredPort[] ports)
    {
        var rules = directory.File("moscow-time.rules.yml");
        File.WriteAllText(rules, ForLine().Replace(File.ReadAllText(RuleFiles.Rules), $"$1for: {forDuration}"));

        var config = RuleFiles.Read(RuleFiles.PlainConfig);
        config["global"] = new Dictionary<object, object>
        {
            ["scrape_interval"] = "1s",
            ["scrape_timeout"] = "1s",
            ["evaluation_interval"] = "1s",
        };
        var ruleFile = (string)Assert.Single((List<object>)config["rule_files"]);
        Assert.Equal(RuleFiles.Rules, Path.Combine(Path.GetDirectoryName(RuleFiles.PlainConfig)!, ruleFile));
        config["rule_files"] = new List<object> { rules };
        // No Alertmanager here: the test reads the alerts from Prometheus itself.
        config.Remove("alerting");
        var job = RuleFiles.List(config, "scrape_configs").Single(scrape => (string)scrape["job_name"] == "moscow-time");
        // The static targets carry the labels of Kubernetes pod discovery, which the example must use.
        var discovery = Assert.Single(RuleFiles.List(job, "kubernetes_sd_configs"));
        Assert.Equal("pod", discovery["role"]);
        job.Remove("kubernetes_sd_configs");
        job["static_configs"] = ports
            .Select(port => new Dictionary<object, object>
            {
                ["targets"] = new List<object> { port.Address.Authority },
                ["labels"] = port.MetaLabels,
            })
            .Cast<object>()
            .ToList();

        var path = directory.File("prometheus.yml");
        File.WriteAllText(path, new SerializerBuilder().Build().Serialize(config));
        return path;
    }

    [GeneratedRegex(@"^(\s+)for: \S+$", RegexOptions.Multiline)]
    private static partial Regex ForLine();
}
