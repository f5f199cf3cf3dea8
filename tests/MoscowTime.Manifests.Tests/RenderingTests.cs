using k8s;
using k8s.Models;
using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

public sealed class RenderingTests
{
    [Theory, BothOverlays]
    public void Overlay_renders_without_kustomize_warnings(string overlay)
    {
        // kustomize warns on stderr about deprecated fields such as commonLabels or vars.
        Assert.Equal("", Kustomize.Render(overlay).Warnings.Trim());
    }

    [Theory, BothOverlays]
    public void Overlay_renders_the_deployment_and_nothing_else(string overlay)
    {
        var kinds = Kustomize.Render(overlay).Objects
            .Select(o => o is IKubernetesObject k ? k.Kind : o.GetType().Name)
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            ["ConfigMap", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget", "Service", "Service", "StatefulSet"],
            kinds);
    }

    [Theory, BothOverlays]
    public void Every_document_is_a_stable_api_version(string overlay)
    {
        var versions = Kustomize.Render(overlay).Objects.Cast<IKubernetesObject>().Select(o => o.ApiVersion).Distinct();

        Assert.All(versions, version => Assert.Matches(@"^([a-z0-9.]+/)?v\d+$", version));
    }

    [Fact]
    public void Strict_parsing_rejects_a_misspelled_field()
    {
        // Proves that the strict loader the rendering uses would catch a typo in the manifests.
        var yaml = Kustomize.Render(Kustomize.Ordered).Yaml;
        Assert.Contains("terminationGracePeriodSeconds:", yaml, StringComparison.Ordinal);
        var misspelled = yaml.Replace("terminationGracePeriodSeconds:", "terminationGracePeriodSecond:", StringComparison.Ordinal);

        Assert.ThrowsAny<Exception>(() => KubernetesYaml.LoadAllFromString(misspelled, null, strict: true));
    }

    [Theory, BothOverlays]
    public void Every_object_carries_the_recommended_labels(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var labelled = rendered.Objects.Cast<IKubernetesObject<V1ObjectMeta>>()
            .Select(o => (Name: $"{o.Kind}/{o.Metadata.Name}", o.Metadata.Labels))
            .Append((Name: "pod template", Labels: rendered.PodLabels));

        Assert.All(labelled, item =>
        {
            Assert.Equal("moscow-time", item.Labels["app.kubernetes.io/name"]);
            Assert.Equal("moscow-time", item.Labels["app.kubernetes.io/instance"]);
            Assert.Equal("moscow-time", item.Labels["app.kubernetes.io/part-of"]);
            Assert.Equal("kustomize", item.Labels["app.kubernetes.io/managed-by"]);
        });
    }
}
