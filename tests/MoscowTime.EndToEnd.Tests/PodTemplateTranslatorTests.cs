using k8s.Models;
using MoscowTime.EndToEnd.Tests.Infrastructure;
using MoscowTime.EndToEnd.Tests.Manifests;
using MoscowTime.EndToEnd.Tests.Pods;

namespace MoscowTime.EndToEnd.Tests;

/// <summary>The translation from pod template to podman, checked without podman (kubectl only).</summary>
public sealed class PodTemplateTranslatorTests
{
    private static readonly TranslationOptions Options = new(
        new Dictionary<string, string> { ["moscow-time-web"] = "localhost/web:t", ["moscow-time-sidecar"] = "localhost/sidecar:t" },
        new Dictionary<string, IReadOnlyDictionary<string, string>>());

    [Theory]
    [InlineData("moscow-time.$(POD_NAMESPACE).svc", "moscow-time.default.svc")]
    [InlineData("$$(POD_NAMESPACE)", "$(POD_NAMESPACE)")]
    [InlineData("$(UNDEFINED)-$(POD_NAMESPACE)", "$(UNDEFINED)-default")]
    [InlineData("costs $$5", "costs $5")]
    public void Dependent_variables_expand_as_in_Kubernetes(string value, string expanded) =>
        Assert.Equal(expanded, ContainerEnvironment.Expand(value, new Dictionary<string, string> { ["POD_NAMESPACE"] = "default" }));

    [Fact]
    public async Task The_parallel_overlay_becomes_a_pod_with_the_manifests_user_limits_and_environment()
    {
        var rendered = await RenderedStatefulSet.RenderAsync(Repository.Overlay("parallel"));

        var plan = PodTemplateTranslator.Plan(rendered, 1, Options);

        Assert.Equal("moscow-time-1", plan.Name);
        Assert.Equal(["visits-data-moscow-time-1"], plan.Volumes);
        Assert.All(Published(plan), port => Assert.StartsWith("127.0.0.1:", port, StringComparison.Ordinal));
        Assert.Equal(["moscow-time-1-restore", "moscow-time-1-web", "moscow-time-1-backup"], plan.Containers.Select(c => c.PodmanName));

        var restore = plan.Container("restore");
        Assert.True(restore.IsInit);
        Assert.Equal(["localhost/sidecar:t", "restore"], restore.CreateArguments.TakeLast(2));

        var web = plan.Container("web").CreateArguments;
        Assert.Equal("localhost/web:t", web[^1]);
        Assert.Equal("1654:1654", After(web, "--user"));
        Assert.Contains("--read-only", web);
        Assert.Equal("ALL", After(web, "--cap-drop"));
        Assert.Equal("visits-data-moscow-time-1:/data", After(web, "--volume"));
        Assert.Contains("POD_NAME=moscow-time-1", Values(web, "--env"));
        Assert.Contains("Cluster__PeerDns=moscow-time.default.svc.cluster.local", Values(web, "--env"));
        Assert.Contains("Logging__Console__FormatterName=json", Values(web, "--env"));
        // The port and the database path are the image's own ENV: podman takes them from the image.
        Assert.DoesNotContain(Values(web, "--env"), variable => variable.StartsWith("Visits__DatabasePath=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_field_the_test_cannot_honour_fails_with_its_name()
    {
        var rendered = await RenderedStatefulSet.RenderAsync(Repository.Overlay("parallel"));
        rendered.PodSpec.Containers.Single(c => c.Name == "web").EnvFrom.Add(new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = "db" } });

        var error = Assert.Throws<NotSupportedException>(() => PodTemplateTranslator.Plan(rendered, 0, Options));

        Assert.Contains("web uses envFrom other than configMapRef", error.Message, StringComparison.Ordinal);
    }

    private static string After(IReadOnlyList<string> arguments, string option) => Values(arguments, option).First();

    private static IEnumerable<string> Values(IReadOnlyList<string> arguments, string option) =>
        arguments.Select((argument, index) => (argument, index))
            .Where(pair => pair.argument == option && pair.index + 1 < arguments.Count)
            .Select(pair => arguments[pair.index + 1]);

    private static IEnumerable<string> Published(PodPlan plan) => Values(plan.CreateArguments, "--publish");
}
