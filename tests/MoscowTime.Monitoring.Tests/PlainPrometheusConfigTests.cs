using MoscowTime.Monitoring.Tests.Infrastructure;

namespace MoscowTime.Monitoring.Tests;

/// <summary>
/// monitoring/prometheus.yml, for Prometheus without the Operator. Its relabelling is exercised by
/// a real Prometheus in <see cref="RealPrometheusTests"/>; Debian's promtool is built without
/// Kubernetes discovery, so `promtool check config` cannot read it here.
/// </summary>
public sealed class PlainPrometheusConfigTests
{
    [Fact]
    public void Example_discovers_pods_through_the_Kubernetes_API_and_loads_the_rule_file_beside_it()
    {
        var config = RuleFiles.Read(RuleFiles.PlainConfig);
        var job = Assert.Single(RuleFiles.List(config, "scrape_configs"));
        var discovery = Assert.Single(RuleFiles.List(job, "kubernetes_sd_configs"));

        Assert.Equal("moscow-time", job["job_name"]);
        Assert.Equal("/metrics", job["metrics_path"]);
        Assert.Equal("pod", discovery["role"]);
        var ruleFile = (string)Assert.Single((List<object>)config["rule_files"]);
        Assert.Equal(RuleFiles.Rules, Path.Combine(Path.GetDirectoryName(RuleFiles.PlainConfig)!, ruleFile));
    }
}
