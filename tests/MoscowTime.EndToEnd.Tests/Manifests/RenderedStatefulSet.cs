using k8s;
using k8s.Models;
using MoscowTime.EndToEnd.Tests.Infrastructure;

namespace MoscowTime.EndToEnd.Tests.Manifests;

/// <summary>
/// The StatefulSet and the ConfigMaps its pods read, exactly as `kubectl kustomize` renders an
/// overlay: what the API server would be given.
/// </summary>
public sealed record RenderedStatefulSet(V1StatefulSet StatefulSet, IReadOnlyDictionary<string, V1ConfigMap> ConfigMaps)
{
    public V1PodSpec PodSpec => StatefulSet.Spec.Template.Spec;

    public string Name => StatefulSet.Metadata.Name;

    public static async Task<RenderedStatefulSet> RenderAsync(string overlay)
    {
        var rendered = (await Command.RunAsync("kubectl", ["kustomize", overlay], TimeSpan.FromMinutes(1))).EnsureSuccess();
        var objects = KubernetesYaml.LoadAllFromString(rendered.StandardOutput, null, strict: true);
        var statefulSets = objects.OfType<V1StatefulSet>().ToList();
        if (statefulSets.Count != 1)
        {
            throw new InvalidOperationException($"{overlay} renders {statefulSets.Count} StatefulSets; the end-to-end test runs exactly one.");
        }

        return new RenderedStatefulSet(
            statefulSets[0],
            objects.OfType<V1ConfigMap>().ToDictionary(map => map.Metadata.Name, StringComparer.Ordinal));
    }
}
