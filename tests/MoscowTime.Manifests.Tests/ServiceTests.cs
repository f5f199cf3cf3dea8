using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

public sealed class ServiceTests
{
    [Theory, BothOverlays]
    public void Every_service_selects_the_pods(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.Services, service =>
            Assert.True(RenderedManifests.Selects(service.Spec.Selector, rendered.PodLabels), service.Metadata.Name));
    }

    [Theory, BothOverlays]
    public void Every_service_port_targets_a_named_container_port(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var named = rendered.Pod.Containers.SelectMany(c => c.Ports).Select(p => p.Name).ToHashSet();

        Assert.All(rendered.Services.SelectMany(s => s.Spec.Ports), port =>
        {
            Assert.NotNull(port.TargetPort);
            Assert.Contains(port.TargetPort.Value, named);
        });
    }

    [Theory, BothOverlays]
    public void Web_service_maps_port_80_to_the_web_apps_http_port(string overlay)
    {
        var service = Kustomize.Render(overlay).Service("moscow-time-web");

        Assert.Equal("ClusterIP", service.Spec.Type);
        var port = Assert.Single(service.Spec.Ports);
        Assert.Equal(80, port.Port);
        Assert.Equal("http", port.TargetPort.Value);
    }

    [Theory, BothOverlays]
    public void Headless_service_lists_ready_pods_only(string overlay)
    {
        // Peers are asked for their counts only once ready (docs/design.md, "Kubernetes design notes").
        var service = Kustomize.Render(overlay).Service("moscow-time");

        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.NotEqual(true, service.Spec.PublishNotReadyAddresses);
    }

    [Theory, BothOverlays]
    public void Port_names_are_valid_and_unique_in_the_pod(string overlay)
    {
        var names = Kustomize.Render(overlay).AllPorts.Select(p => p.Name).ToList();

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names, name => Assert.Matches("^(?=.*[a-z])[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$", name));
    }
}
