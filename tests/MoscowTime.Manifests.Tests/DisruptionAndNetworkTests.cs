using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

public sealed class DisruptionAndNetworkTests
{
    [Theory, BothOverlays]
    public void Disruption_budget_covers_the_pods_and_lets_one_go_at_a_time(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var budget = rendered.DisruptionBudget.Spec;

        Assert.True(RenderedManifests.Selects(budget.Selector, rendered.PodLabels));
        Assert.Null(budget.MinAvailable);
        Assert.Equal("1", budget.MaxUnavailable.Value);
        Assert.Equal("AlwaysAllow", budget.UnhealthyPodEvictionPolicy);
    }

    [Theory, BothOverlays]
    public void Network_policy_isolates_the_pods_both_ways(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var policy = rendered.NetworkPolicy.Spec;

        Assert.True(RenderedManifests.Selects(policy.PodSelector, rendered.PodLabels));
        Assert.Equal(["Egress", "Ingress"], policy.PolicyTypes.Order(StringComparer.Ordinal));
    }

    [Theory, BothOverlays]
    public void Network_policy_admits_every_port_a_service_targets(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var admitted = rendered.NetworkPolicy.Spec.Ingress
            .Where(rule => rule.FromProperty is null or { Count: 0 })
            .SelectMany(rule => rule.Ports)
            .Select(port => port.Port.Value)
            .ToHashSet();

        Assert.All(rendered.Services.SelectMany(s => s.Spec.Ports), port => Assert.Contains(port.TargetPort.Value, admitted));
        Assert.All(admitted, port => Assert.Contains(port, rendered.AllPorts.Select(p => p.Name)));
    }

    [Theory, BothOverlays]
    public void Network_policy_lets_pods_resolve_names_and_reach_their_peers(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var egress = rendered.NetworkPolicy.Spec.Egress;

        var dns = egress.Where(rule => rule.To is null or { Count: 0 }).SelectMany(rule => rule.Ports)
            .Where(port => port.Port.Value == "53").Select(port => port.Protocol);
        Assert.Equal(["TCP", "UDP"], dns.Order(StringComparer.Ordinal));
        Assert.Contains(egress, rule =>
            (rule.To ?? []).Any(peer => RenderedManifests.Selects(peer.PodSelector, rendered.PodLabels))
            && (rule.Ports ?? []).Any(port => port.Port.Value == "http"));
    }
}
