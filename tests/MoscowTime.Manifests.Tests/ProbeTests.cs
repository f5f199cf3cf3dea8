using k8s.Models;
using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

/// <summary>What the probes point at; ProbeEndpointTests asks the real apps.</summary>
public sealed class ProbeTests
{
    [Theory, BothOverlays]
    public void Web_and_backup_have_startup_liveness_and_readiness_probes(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.Pod.Containers, container =>
        {
            Assert.NotNull(container.StartupProbe);
            Assert.NotNull(container.LivenessProbe);
            Assert.NotNull(container.ReadinessProbe);
        });
    }

    [Theory, BothOverlays]
    public void Probe_ports_name_declared_container_ports(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.AllContainers, container =>
        {
            var declared = (container.Ports ?? []).Select(p => p.Name).ToHashSet();
            foreach (var (kind, probe) in Probes(container))
            {
                var port = probe.HttpGet?.Port ?? probe.TcpSocket?.Port;
                Assert.True(port is not null, $"{container.Name} {kind}: neither httpGet nor tcpSocket");
                Assert.True(declared.Contains(port.Value), $"{container.Name} {kind}: port {port.Value} is not one of its named ports");
            }
        });
    }

    [Theory, BothOverlays]
    public void No_probe_requests_the_page_that_counts_visits(string overlay)
    {
        var paths = Kustomize.Render(overlay).AllContainers.SelectMany(HttpProbePaths);

        Assert.All(paths, path => Assert.NotEqual("/", path.Split('?')[0]));
    }

    [Theory, BothOverlays]
    public void Web_liveness_and_startup_never_depend_on_the_database(string overlay)
    {
        // A failing startup probe restarts the container just as liveness does: both stay on /livez,
        // and the database decides readiness only.
        var web = Kustomize.Render(overlay).Container("web");

        Assert.Equal("/livez", web.StartupProbe.HttpGet.Path);
        Assert.Equal("/livez", web.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", web.ReadinessProbe.HttpGet.Path);
    }

    [Theory, BothOverlays]
    public void Stale_backups_never_take_the_pod_out_of_service(string overlay)
    {
        // Pod readiness gates the web app's traffic; backup freshness (/healthz) is for alerting.
        var backup = Kustomize.Render(overlay).Container("backup");

        Assert.DoesNotContain("/healthz", HttpProbePaths(backup));
        Assert.Null(backup.ReadinessProbe.HttpGet);
        Assert.NotNull(backup.ReadinessProbe.TcpSocket);
    }

    [Theory, BothOverlays]
    public void Liveness_and_readiness_differ_in_every_container(string overlay)
    {
        Assert.All(Kustomize.Render(overlay).Pod.Containers, container =>
            Assert.False(
                container.LivenessProbe.HttpGet?.Path == container.ReadinessProbe.HttpGet?.Path
                && container.LivenessProbe.TcpSocket is null == container.ReadinessProbe.TcpSocket is null,
                container.Name));
    }

    internal static IEnumerable<(string Kind, V1Probe Probe)> Probes(V1Container container)
    {
        if (container.StartupProbe is { } startup)
        {
            yield return ("startupProbe", startup);
        }

        if (container.LivenessProbe is { } liveness)
        {
            yield return ("livenessProbe", liveness);
        }

        if (container.ReadinessProbe is { } readiness)
        {
            yield return ("readinessProbe", readiness);
        }
    }

    internal static IEnumerable<string> HttpProbePaths(V1Container container) =>
        Probes(container).Select(p => p.Probe.HttpGet?.Path).OfType<string>().Distinct();
}
