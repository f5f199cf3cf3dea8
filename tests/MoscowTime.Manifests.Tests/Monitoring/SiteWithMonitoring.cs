using System.Collections.Concurrent;
using MoscowTime.Manifests.Tests.Rendering;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace MoscowTime.Manifests.Tests.Monitoring;

/// <summary>
/// A site overlay as docs/operations.md shows it: one of our overlays plus the monitoring component, in one
/// `components:` line, rendered with the real `kubectl kustomize`.
/// </summary>
/// <remarks>
/// Read as plain YAML, not with KubernetesClient: PodMonitor and PrometheusRule are custom
/// resources it has no types for.
/// </remarks>
internal static class SiteWithMonitoring
{
    public const string Component = "components/monitoring";

    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<Dictionary<object, object>>>> Rendered = new();

    /// <param name="overlay">Relative to kustomize/, such as "overlays/ordered".</param>
    /// <param name="more">Further fields of the site's kustomization.yaml (a site's own patches).</param>
    public static IReadOnlyList<Dictionary<object, object>> Render(string overlay, string more = "") =>
        Rendered.GetOrAdd(overlay + "\n" + more, _ => new(() => RenderNow(overlay, more))).Value;

    /// <summary>The overlay alone, read the same way, to compare with.</summary>
    public static IReadOnlyList<Dictionary<object, object>> WithoutComponent(string overlay) =>
        Documents(Kustomize.Render(overlay).Yaml);

    public static Dictionary<object, object> Single(IEnumerable<Dictionary<object, object>> documents, string kind, string name) =>
        documents.Single(d => (string)d["kind"] == kind && Name(d) == name);

    public static string Name(Dictionary<object, object> document) => (string)Map(document, "metadata")["name"];

    public static Dictionary<object, object> Map(Dictionary<object, object> node, string key) => (Dictionary<object, object>)node[key];

    public static List<object> List(Dictionary<object, object> node, string key) => (List<object>)node[key];

    public static IReadOnlyList<Dictionary<object, object>> Documents(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<object, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<Dictionary<object, object>>(parser));
        }

        return documents;
    }

    private static IReadOnlyList<Dictionary<object, object>> RenderNow(string overlay, string more)
    {
        using var site = new TempDirectory("site-overlay");
        string From(string target) => Path.GetRelativePath(site.Path, Path.Combine(Repository.Kustomize, target));
        File.WriteAllText(site.File("kustomization.yaml"), $"""
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            resources:
              - {From(overlay)}
            components:
              - {From(Component)}
            {more}
            """);

        var kubectl = ExternalTool.Require("kubectl", "the manifest tests render the overlays with `kubectl kustomize`");
        var result = ExternalTool.Run(kubectl, ["kustomize", site.Path]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize of {overlay} with {Component} failed ({result.ExitCode}): {result.StandardError}");
        }

        return Documents(result.StandardOutput);
    }
}
