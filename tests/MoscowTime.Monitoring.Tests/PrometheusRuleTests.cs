using MoscowTime.Monitoring.Tests.Infrastructure;
using YamlDotNet.Serialization;

namespace MoscowTime.Monitoring.Tests;

/// <summary>The PrometheusRule of the component is the plain rule file, made by its script.</summary>
public sealed class PrometheusRuleTests
{
    [Fact]
    public void PrometheusRule_holds_exactly_the_groups_of_the_plain_rule_file()
    {
        var plain = RuleFiles.Read(RuleFiles.Rules);
        var resource = RuleFiles.Read(RuleFiles.PrometheusRule);

        Assert.Equal("PrometheusRule", resource["kind"]);
        Assert.Equal("moscow-time", ((Dictionary<object, object>)resource["metadata"])["name"]);
        Assert.Equal(Yaml(plain["groups"]), Yaml(((Dictionary<object, object>)resource["spec"])["groups"]));
    }

    [Fact]
    public void PrometheusRule_is_what_make_prometheusrule_sh_writes_from_the_rule_file()
    {
        using var scratch = new TempDirectory("prometheusrule");
        var made = scratch.File("prometheusrule.yaml");

        Tool.Run(Tool.Bash, RuleFiles.MakePrometheusRule, made).EnsureSuccess();

        Assert.True(File.ReadAllText(made) == File.ReadAllText(RuleFiles.PrometheusRule),
            $"{RuleFiles.PrometheusRule} is out of date: run monitoring/make-prometheusrule.sh");
    }

    private static string Yaml(object node) => new SerializerBuilder().Build().Serialize(node);
}
