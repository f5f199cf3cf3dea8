using System.Globalization;
using System.Text.RegularExpressions;
using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

public sealed partial class ConfigurationTests
{
    private static readonly string[] BackupContainers = ["backup", "restore"];

    [Theory, BothOverlays]
    public void Configuration_comes_from_generated_config_maps(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.AllContainers, container =>
        {
            var source = Assert.Single(container.EnvFrom);
            // The generator's hash suffix: a configuration change rolls the pods.
            Assert.Matches(@"^moscow-time-(web|backup)-[a-z0-9]{10}$", source.ConfigMapRef.Name);
            Assert.Contains(rendered.ConfigMaps, m => m.Metadata.Name == source.ConfigMapRef.Name);
        });
    }

    [Theory, BothOverlays]
    public void Each_setting_has_one_home_the_image_or_the_manifests(string overlay)
    {
        // Ports and container paths are the image's (its ENV); the manifests carry deployment
        // policy only. A key in both would be two values to keep in step.
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.AllContainers, container =>
        {
            var image = ImageDefaults.For(container.Image);
            var twice = rendered.Environment(container).Keys.Where(image.Environment.ContainsKey);
            Assert.True(!twice.Any(), $"{container.Name}: {string.Join(", ", twice)} set both by the manifests and by {image.Dockerfile}");
        });
    }

    [Theory, BothOverlays]
    public void Container_ports_are_the_ports_the_images_listen_on(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.All(rendered.Pod.Containers, container =>
        {
            var image = ImageDefaults.For(container.Image);
            var listening = rendered.EnvironmentWithImage(container)["ASPNETCORE_HTTP_PORTS"];
            var port = Assert.Single(container.Ports);
            Assert.Equal(listening, port.ContainerPort.ToString(CultureInfo.InvariantCulture));
            Assert.Equal([port.ContainerPort], image.ExposedPorts);
        });
        Assert.Equal(8080, rendered.Container("web").Ports.Single(p => p.Name == "http").ContainerPort);
        Assert.Equal(8081, rendered.Container("backup").Ports.Single().ContainerPort);
    }

    [Theory, BothOverlays]
    public void Backup_and_restore_work_on_the_database_the_web_app_writes(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var database = rendered.EnvironmentWithImage(rendered.Container("web"))["Visits__DatabasePath"];

        Assert.Equal("/data/visits.db", database);
        Assert.All(BackupContainers, name =>
        {
            var environment = rendered.EnvironmentWithImage(rendered.Container(name));
            Assert.Equal(database, environment["Backup__DatabasePath"]);
            Assert.StartsWith("/data/", environment["Backup__Directory"], StringComparison.Ordinal);
        });
    }

    [Theory, BothOverlays]
    public void Backup_settings_are_well_formed(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var environment = rendered.Environment(rendered.Container("backup"));

        var interval = TimeSpan.Parse(environment["Backup__Interval"]!, CultureInfo.InvariantCulture);
        var maxAge = TimeSpan.Parse(environment["Backup__MaxAge"]!, CultureInfo.InvariantCulture);
        Assert.True(interval > TimeSpan.Zero && maxAge > interval, $"interval {interval}, max age {maxAge}");
        Assert.InRange(int.Parse(environment["Backup__Retain"]!, CultureInfo.InvariantCulture), 1, 1000);
    }

    [Theory, BothOverlays]
    public void Pod_name_and_namespace_come_from_the_downward_api(string overlay)
    {
        var web = Kustomize.Render(overlay).Container("web");

        Assert.Equal("metadata.name", web.Env.Single(e => e.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", web.Env.Single(e => e.Name == "POD_NAMESPACE").ValueFrom.FieldRef.FieldPath);
    }

    [Theory, BothOverlays]
    public void Peer_dns_is_the_headless_services_name_in_the_pods_namespace(string overlay)
    {
        var rendered = Kustomize.Render(overlay);

        Assert.Equal(
            $"{rendered.StatefulSet.Spec.ServiceName}.$(POD_NAMESPACE).svc.cluster.local",
            rendered.Environment(rendered.Container("web"))["Cluster__PeerDns"]);
    }

    [Theory, BothOverlays]
    public void Variable_references_name_variables_defined_before_them(string overlay)
    {
        // The kubelet expands $(NAME) only from env entries above it; anything else stays literal text.
        Assert.All(Kustomize.Render(overlay).AllContainers, container =>
        {
            var defined = new HashSet<string>(StringComparer.Ordinal);
            foreach (var variable in container.Env ?? [])
            {
                foreach (Match reference in VariableReference().Matches(variable.Value ?? ""))
                {
                    Assert.True(defined.Contains(reference.Groups[1].Value), $"{container.Name}: {variable.Name} uses {reference.Value} before it is defined");
                }

                defined.Add(variable.Name);
            }
        });
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex VariableReference();
}
