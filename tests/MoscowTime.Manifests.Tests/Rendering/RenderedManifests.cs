using k8s.Models;

namespace MoscowTime.Manifests.Tests.Rendering;

/// <summary>The documents one kustomization renders to, with the lookups the invariants need.</summary>
internal sealed class RenderedManifests(string directory, string yaml, string warnings, IReadOnlyList<object> objects)
{
    public string Directory { get; } = directory;
    public string Yaml { get; } = yaml;

    /// <summary>What kustomize printed on stderr: deprecation warnings and the like.</summary>
    public string Warnings { get; } = warnings;

    public IReadOnlyList<object> Objects { get; } = objects;

    public V1StatefulSet StatefulSet => Objects.OfType<V1StatefulSet>().Single();
    public IEnumerable<V1Service> Services => Objects.OfType<V1Service>();
    public IEnumerable<V1ConfigMap> ConfigMaps => Objects.OfType<V1ConfigMap>();
    public V1PodDisruptionBudget DisruptionBudget => Objects.OfType<V1PodDisruptionBudget>().Single();
    public V1NetworkPolicy NetworkPolicy => Objects.OfType<V1NetworkPolicy>().Single();

    public V1PodSpec Pod => StatefulSet.Spec.Template.Spec;
    public IDictionary<string, string> PodLabels => StatefulSet.Spec.Template.Metadata.Labels;

    /// <summary>Init containers first, in the order the kubelet starts them.</summary>
    public IEnumerable<V1Container> AllContainers => (Pod.InitContainers ?? []).Concat(Pod.Containers);

    public IEnumerable<V1ContainerPort> AllPorts => AllContainers.SelectMany(c => c.Ports ?? []);

    public V1Container Container(string name) => AllContainers.Single(c => c.Name == name);

    public V1Service Service(string name) => Services.Single(s => s.Metadata.Name == name);

    /// <summary>
    /// The environment a container starts with: its ConfigMaps (envFrom), then its own env entries,
    /// which win. Values from the downward API show as null.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Environment(V1Container container)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var source in container.EnvFrom ?? [])
        {
            var name = source.ConfigMapRef?.Name ?? throw new InvalidOperationException($"{container.Name}: envFrom other than a ConfigMap");
            var configMap = ConfigMaps.SingleOrDefault(m => m.Metadata.Name == name)
                ?? throw new InvalidOperationException($"{container.Name}: envFrom names ConfigMap {name}, which is not rendered");
            foreach (var (key, value) in configMap.Data ?? new Dictionary<string, string>())
            {
                environment[key] = value;
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            environment[variable.Name] = variable.Value;
        }

        return environment;
    }

    /// <summary>
    /// What the process sees: its image's ENV (from our Dockerfile), then <see cref="Environment"/>,
    /// which wins, as in the container runtime.
    /// </summary>
    public IReadOnlyDictionary<string, string?> EnvironmentWithImage(V1Container container)
    {
        var environment = ImageDefaults.For(container.Image).Environment.ToDictionary(pair => pair.Key, pair => (string?)pair.Value, StringComparer.Ordinal);
        foreach (var (key, value) in Environment(container))
        {
            environment[key] = value;
        }

        return environment;
    }

    public static bool Selects(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);

    public static bool Selects(V1LabelSelector? selector, IDictionary<string, string> labels) =>
        selector is not null && (selector.MatchExpressions ?? []).Count == 0 && Selects(selector.MatchLabels, labels);
}
