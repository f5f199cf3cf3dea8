using k8s;
using k8s.Models;
using MoscowTime.Manifests.Tests.Rendering;
using YamlDotNet.Serialization;

namespace MoscowTime.Manifests.Tests;

public sealed class KustomizationTests
{
    private static readonly string[] DeprecatedFields =
        ["commonLabels", "patchesStrategicMerge", "patchesJson6902", "vars", "bases", "imageTags"];

    public static TheoryData<string> KustomizationFiles =>
        new(Directory.EnumerateFiles(Repository.Kustomize, "kustomization.yaml", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Repository.Kustomize, path))
            .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(KustomizationFiles))]
    public void Kustomization_uses_no_deprecated_field(string file)
    {
        var fields = ReadKustomization(file).Keys;

        Assert.Empty(fields.Intersect(DeprecatedFields));
    }

    [Fact]
    public void Overlays_set_their_pod_management_policy()
    {
        Assert.Equal("OrderedReady", Kustomize.Render(Kustomize.Ordered).StatefulSet.Spec.PodManagementPolicy);
        Assert.Equal("Parallel", Kustomize.Render(Kustomize.Parallel).StatefulSet.Spec.PodManagementPolicy);
    }

    [Fact]
    public void Overlays_differ_only_in_pod_management_policy()
    {
        var ordered = Kustomize.Render(Kustomize.Ordered);
        var parallel = KubernetesYaml.LoadAllFromString(Kustomize.Render(Kustomize.Parallel).Yaml, null, strict: true);
        parallel.OfType<V1StatefulSet>().Single().Spec.PodManagementPolicy = ordered.StatefulSet.Spec.PodManagementPolicy;

        Assert.Equal(KubernetesYaml.SerializeAll(ordered.Objects), KubernetesYaml.SerializeAll(parallel));
    }

    [Fact]
    public void Base_alone_deploys_what_the_ordered_overlay_deploys()
    {
        // `kubectl apply -k kustomize/base` is then the Kubernetes default, not a third variant.
        Assert.Equal(Kustomize.Render(Kustomize.Ordered).Yaml, Kustomize.Render(Kustomize.Base).Yaml);
    }

    internal static Dictionary<string, object> ReadKustomization(string relativePath) =>
        new DeserializerBuilder().Build()
            .Deserialize<Dictionary<string, object>>(File.ReadAllText(Path.Combine(Repository.Kustomize, relativePath)));
}
