using MoscowTime.EndToEnd.Tests.Infrastructure;
using MoscowTime.EndToEnd.Tests.Manifests;

namespace MoscowTime.EndToEnd.Tests.Pods;

/// <summary>The StatefulSet's pods for some ordinals, started as its podManagementPolicy says.</summary>
public sealed class StatefulSetPods : IAsyncDisposable
{
    private StatefulSetPods(IReadOnlyList<PodmanPod> pods, bool parallel)
    {
        Pods = pods;
        Parallel = parallel;
    }

    public IReadOnlyList<PodmanPod> Pods { get; }

    /// <summary>podManagementPolicy Parallel starts every pod at once; OrderedReady waits for each to be ready.</summary>
    public bool Parallel { get; }

    public PodmanPod this[int ordinal] => Pods[ordinal];

    public static async Task<StatefulSetPods> CreateAsync(Podman podman, RenderedStatefulSet rendered, TranslationOptions options, params int[] ordinals)
    {
        var plans = ordinals.Select(ordinal => PodTemplateTranslator.Plan(rendered, ordinal, options)).ToList();
        var pods = new List<PodmanPod>();
        try
        {
            foreach (var plan in plans)
            {
                pods.Add(await PodmanPod.CreateAsync(podman, plan));
            }
        }
        catch
        {
            foreach (var plan in plans)
            {
                await PodmanPod.RemoveAsync(podman, plan);
            }

            throw;
        }

        return new StatefulSetPods(pods, rendered.StatefulSet.Spec.PodManagementPolicy == "Parallel");
    }

    /// <returns>Each pod's time from `podman pod start` to ready.</returns>
    public async Task<IReadOnlyList<TimeSpan>> StartAsync()
    {
        if (Parallel)
        {
            return await Task.WhenAll(Pods.Select(pod => pod.StartAsync()));
        }

        var times = new List<TimeSpan>();
        foreach (var pod in Pods)
        {
            times.Add(await pod.StartAsync());
        }

        return times;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pod in Pods)
        {
            await pod.DisposeAsync();
        }
    }
}
