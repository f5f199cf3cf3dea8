using System.Collections.Concurrent;
using k8s;

namespace MoscowTime.Manifests.Tests.Rendering;

/// <summary>Renders a kustomization with the real `kubectl kustomize`, once per directory per test run.</summary>
internal static class Kustomize
{
    public const string Ordered = "overlays/ordered";
    public const string Parallel = "overlays/parallel";
    public const string Base = "base";

    private static readonly ConcurrentDictionary<string, Lazy<RenderedManifests>> Rendered = new();

    /// <param name="directory">Relative to kustomize/, such as "overlays/ordered".</param>
    public static RenderedManifests Render(string directory) =>
        Rendered.GetOrAdd(directory, d => new Lazy<RenderedManifests>(() => RenderNow(d))).Value;

    private static RenderedManifests RenderNow(string directory)
    {
        var kubectl = ExternalTool.Require("kubectl", "the manifest tests render the overlays with `kubectl kustomize`");
        var result = ExternalTool.Run(kubectl, ["kustomize", Path.Combine(Repository.Kustomize, directory)]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {directory} failed ({result.ExitCode}): {result.StandardError}");
        }

        // Strict: a field the Kubernetes API does not know (a typo, a wrong nesting) throws here,
        // as the API server would reject it. The file and stream loaders ignore `strict`.
        var objects = KubernetesYaml.LoadAllFromString(result.StandardOutput, typeMap: null, strict: true);
        return new RenderedManifests(directory, result.StandardOutput, result.StandardError, objects);
    }
}
