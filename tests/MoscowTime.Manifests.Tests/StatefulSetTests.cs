using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

public sealed class StatefulSetTests
{
    private static readonly string[] StableSelectorLabels = ["app.kubernetes.io/instance", "app.kubernetes.io/name"];

    [Theory, BothOverlays]
    public void StatefulSet_moscow_time_runs_two_replicas(string overlay)
    {
        var statefulSet = Kustomize.Render(overlay).StatefulSet;

        Assert.Equal("moscow-time", statefulSet.Metadata.Name);
        Assert.Equal(2, statefulSet.Spec.Replicas);
    }

    [Theory, BothOverlays]
    public void Kubectl_exec_without_a_container_name_goes_to_web(string overlay)
    {
        // `kubectl exec moscow-time-0 -- nslookup …` (the lab's own check) runs in the default
        // container: the annotation's, else the first one.
        var rendered = Kustomize.Render(overlay);

        Assert.Equal("web", rendered.StatefulSet.Spec.Template.Metadata.Annotations["kubectl.kubernetes.io/default-container"]);
        Assert.Equal("web", rendered.Pod.Containers[0].Name);
    }

    [Theory, BothOverlays]
    public void Selector_is_a_subset_of_template_labels(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.True(RenderedManifests.Selects(rendered.StatefulSet.Spec.Selector, rendered.PodLabels));
    }

    [Theory, BothOverlays]
    public void Selector_uses_only_labels_that_never_change(string overlay)
    {
        // The selector is immutable: a label that varies (version, component) would block every apply.
        var selector = Kustomize.Render(overlay).StatefulSet.Spec.Selector.MatchLabels;

        Assert.Equal(StableSelectorLabels, selector.Keys.Order(StringComparer.Ordinal));
        Assert.All(selector.Values, value => Assert.Equal("moscow-time", value));
    }

    [Theory, BothOverlays]
    public void Service_name_names_a_headless_service_that_selects_the_pods(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var governing = rendered.Services.SingleOrDefault(s => s.Metadata.Name == rendered.StatefulSet.Spec.ServiceName);

        Assert.NotNull(governing);
        Assert.Equal("moscow-time", governing.Metadata.Name);
        Assert.Equal("None", governing.Spec.ClusterIP);
        Assert.True(RenderedManifests.Selects(governing.Spec.Selector, rendered.PodLabels));
    }

    [Theory, BothOverlays]
    public void Pod_runs_web_and_backup_with_restore_as_its_init_container(string overlay)
    {
        var pod = Kustomize.Render(overlay).Pod;

        Assert.Equal(["web", "backup"], pod.Containers.Select(c => c.Name));
        var restore = Assert.Single(pod.InitContainers);
        Assert.Equal("restore", restore.Name);
        Assert.Equal(["restore"], restore.Args);
        // A plain init container that runs to completion, not a native sidecar (docs/design.md, "Kubernetes design notes", says why).
        Assert.Null(restore.RestartPolicy);
    }

    [Theory, BothOverlays]
    public void Every_volume_mount_names_a_volume_or_a_claim_template(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var volumes = (rendered.Pod.Volumes ?? []).Select(v => v.Name)
            .Concat(rendered.StatefulSet.Spec.VolumeClaimTemplates.Select(t => t.Metadata.Name))
            .ToList();

        Assert.Equal(volumes.Count, volumes.Distinct().Count());
        Assert.All(
            rendered.AllContainers.SelectMany(c => (c.VolumeMounts ?? []).Select(m => (Container: c.Name, m.Name))),
            mount => Assert.True(volumes.Contains(mount.Name), $"{mount.Container} mounts {mount.Name}, which no volume or claim template provides"));
    }

    [Theory, BothOverlays]
    public void Visits_data_is_a_10Mi_read_write_once_claim_mounted_at_data_in_every_container(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var claim = Assert.Single(rendered.StatefulSet.Spec.VolumeClaimTemplates);

        Assert.Equal("visits-data", claim.Metadata.Name);
        Assert.Equal(["ReadWriteOnce"], claim.Spec.AccessModes);
        Assert.Equal("10Mi", claim.Spec.Resources.Requests["storage"].ToString());
        Assert.All(rendered.AllContainers, container =>
            Assert.Contains(container.VolumeMounts, m => m.Name == "visits-data" && m.MountPath == "/data" && m.ReadOnlyProperty != true));
    }

    [Theory, BothOverlays]
    public void Updates_retention_and_availability_are_explicit(string overlay)
    {
        var spec = Kustomize.Render(overlay).StatefulSet.Spec;

        Assert.Equal("RollingUpdate", spec.UpdateStrategy.Type);
        Assert.Equal(0, spec.UpdateStrategy.RollingUpdate.Partition);
        // Visits are data: neither deleting the StatefulSet nor scaling it down deletes a claim.
        Assert.Equal("Retain", spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted);
        Assert.Equal("Retain", spec.PersistentVolumeClaimRetentionPolicy.WhenScaled);
        Assert.InRange(spec.MinReadySeconds ?? 0, 1, 60);
    }

    [Theory, BothOverlays]
    public void Replicas_prefer_different_nodes(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var antiAffinity = rendered.Pod.Affinity.PodAntiAffinity;

        Assert.Contains(antiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, term =>
            term.PodAffinityTerm.TopologyKey == "kubernetes.io/hostname"
            && RenderedManifests.Selects(term.PodAffinityTerm.LabelSelector, rendered.PodLabels));
        Assert.All(rendered.Pod.TopologySpreadConstraints ?? [], constraint =>
        {
            Assert.True(RenderedManifests.Selects(constraint.LabelSelector, rendered.PodLabels), constraint.TopologyKey);
            Assert.True(constraint.MaxSkew >= 1, constraint.TopologyKey);
            Assert.True(constraint.WhenUnsatisfiable is "DoNotSchedule" or "ScheduleAnyway", constraint.WhenUnsatisfiable);
        });
    }

    [Theory, BothOverlays]
    public void Containers_volumes_and_claims_have_valid_unique_names(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var names = rendered.AllContainers.Select(c => c.Name).ToList();
        var volumes = (rendered.Pod.Volumes ?? []).Select(v => v.Name)
            .Concat(rendered.StatefulSet.Spec.VolumeClaimTemplates.Select(t => t.Metadata.Name));

        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.All(names.Concat(volumes), name => Assert.Matches("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name));
    }

    [Theory, BothOverlays]
    public void Backup_stops_after_the_web_app_and_the_grace_period_covers_both(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var grace = rendered.Pod.TerminationGracePeriodSeconds ?? 30;
        var webPause = PreStopSleepSeconds(rendered, "web");
        var backupPause = PreStopSleepSeconds(rendered, "backup");

        // SIGTERM starts the sidecar's final backup: it must come after the web app stopped taking visits.
        Assert.True(backupPause > webPause, $"backup pauses {backupPause} s, web {webPause} s");
        // The final backup of a 10 MiB database takes well under a second; leave it ten.
        Assert.True(grace >= backupPause + 10, $"grace {grace} s, backup pause {backupPause} s");
    }

    internal static int PreStopSleepSeconds(RenderedManifests rendered, string container)
    {
        var command = rendered.Container(container).Lifecycle?.PreStop?.Exec?.Command;
        return command is ["sleep", var seconds] ? int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }
}
