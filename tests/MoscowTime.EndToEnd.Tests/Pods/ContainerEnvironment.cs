using System.Text.RegularExpressions;
using k8s.Models;
using MoscowTime.EndToEnd.Tests.Manifests;

namespace MoscowTime.EndToEnd.Tests.Pods;

/// <summary>A container's environment as the kubelet builds it: envFrom first, then env in order.</summary>
public static partial class ContainerEnvironment
{
    public static IReadOnlyDictionary<string, string> Resolve(
        RenderedStatefulSet rendered,
        V1Container container,
        PodIdentity pod,
        IReadOnlyDictionary<string, string>? overrides)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.EnvFrom ?? [])
        {
            if (source.ConfigMapRef is not { } reference)
            {
                throw PodTemplateTranslator.Unsupported(container, "envFrom other than configMapRef");
            }

            if (ConfigMap(rendered, container, reference.Name, reference.Optional) is { } data)
            {
                foreach (var (key, value) in data)
                {
                    environment[source.Prefix + key] = value;
                }
            }
        }

        foreach (var variable in container.Env ?? [])
        {
            environment[variable.Name] = variable.ValueFrom switch
            {
                null => Expand(variable.Value ?? "", environment),
                { FieldRef: { } field } => pod.Field(field.FieldPath),
                { ConfigMapKeyRef: { } key } => ConfigMap(rendered, container, key.Name, key.Optional)?.GetValueOrDefault(key.Key)
                    ?? throw new InvalidOperationException($"{container.Name}: env {variable.Name} reads key {key.Key} that ConfigMap {key.Name} lacks"),
                _ => throw PodTemplateTranslator.Unsupported(container, $"env {variable.Name} from a source other than fieldRef or configMapKeyRef"),
            };
        }

        foreach (var (name, value) in overrides ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return environment;
    }

    /// <summary>
    /// Kubernetes' dependent variables: $(NAME) becomes the value of a variable defined before it,
    /// $$ becomes $, and a reference to an unknown name stays as written.
    /// </summary>
    public static string Expand(string value, IReadOnlyDictionary<string, string> defined) =>
        Reference().Replace(value, match => match.Value == "$$"
            ? "$"
            : defined.GetValueOrDefault(match.Groups["name"].Value, match.Value));

    private static Dictionary<string, string>? ConfigMap(RenderedStatefulSet rendered, V1Container container, string name, bool? optional)
    {
        if (rendered.ConfigMaps.TryGetValue(name, out var map))
        {
            return new Dictionary<string, string>(map.Data ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        }

        return optional == true
            ? null
            : throw new InvalidOperationException($"{container.Name} reads ConfigMap {name}, which the overlay does not render.");
    }

    [GeneratedRegex(@"\$\$|\$\((?<name>[^)]*)\)")]
    private static partial Regex Reference();
}

/// <summary>What the downward API tells a pod about itself.</summary>
public sealed record PodIdentity(string Name, string Namespace, IReadOnlyDictionary<string, string> Labels)
{
    public string Field(string path)
    {
        if (path == "metadata.name")
        {
            return Name;
        }

        if (path == "metadata.namespace")
        {
            return Namespace;
        }

        const string labels = "metadata.labels['";
        if (path.StartsWith(labels, StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal))
        {
            var label = path[labels.Length..^2];
            return Labels.TryGetValue(label, out var value) ? value : "";
        }

        throw new NotSupportedException($"The end-to-end test does not translate fieldRef {path}; teach {nameof(PodIdentity)} how.");
    }
}
