using System.Globalization;
using System.Net;
using System.Text.Json;
using k8s.Models;
using MoscowTime.EndToEnd.Tests.Manifests;
using MoscowTime.Testing;

namespace MoscowTime.EndToEnd.Tests.Pods;

/// <param name="Images">Image name in the manifest (no tag) → the local image built from our Dockerfile.</param>
/// <param name="EnvironmentOverrides">Container name → variables the test sets over the manifest's.</param>
public sealed record TranslationOptions(
    IReadOnlyDictionary<string, string> Images,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> EnvironmentOverrides,
    string Namespace = "default");

/// <summary>
/// Turns the rendered pod template into podman commands for one ordinal, field by field, the way
/// the kubelet would apply it. A field it does not know how to honour fails the test rather than
/// being skipped: a manifest change that the images cannot follow must not pass unnoticed.
/// </summary>
/// <remarks>
/// Scheduling (affinity, spread, resources.requests, ephemeral-storage) and pulling
/// (imagePullPolicy: images are local) have no podman counterpart here and are left out on purpose.
/// Each container gets its own tmpfs for an emptyDir, empty at every start: a file one container
/// leaves in a shared emptyDir for another (none does today) would not get there.
/// </remarks>
public static class PodTemplateTranslator
{
    public static PodPlan Plan(RenderedStatefulSet rendered, int ordinal, TranslationOptions options)
    {
        var spec = rendered.PodSpec;
        var podName = $"{rendered.Name}-{ordinal}";
        var identity = new PodIdentity(podName, options.Namespace, PodLabels(rendered, podName, ordinal));
        var claims = (rendered.StatefulSet.Spec.VolumeClaimTemplates ?? [])
            .ToDictionary(claim => claim.Metadata.Name, claim => $"{claim.Metadata.Name}-{podName}", StringComparer.Ordinal);

        // Init containers with restartPolicy Always are native sidecars: they run beside the app.
        var containers = (spec.InitContainers ?? []).Select(c => (Spec: c, IsInit: c.RestartPolicy != "Always"))
            .Concat(spec.Containers.Select(c => (Spec: c, IsInit: false)))
            .ToList();
        var hostPorts = containers.SelectMany(c => c.Spec.Ports ?? []).Select(port => port.ContainerPort).Distinct()
            .ToDictionary(port => port, _ => FreePort.On(IPAddress.Loopback));

        // slirp4netns whatever podman's configuration says: a bridge would put the pod on a private
        // 10.88.x network, and tests talk to 127.0.0.1 only.
        List<string> createPod = ["pod", "create", "--name", podName, "--hostname", podName, "--network", "slirp4netns"];
        foreach (var (containerPort, hostPort) in hostPorts)
        {
            createPod.AddRange(["--publish", $"127.0.0.1:{hostPort}:{containerPort}"]);
        }

        return new PodPlan(
            podName,
            [.. claims.Values],
            createPod,
            [.. containers.Select(c => PlanContainer(rendered, identity, claims, hostPorts, options, c.Spec, c.IsInit))],
            hostPorts,
            TimeSpan.FromSeconds(spec.TerminationGracePeriodSeconds ?? 30));
    }

    internal static NotSupportedException Unsupported(V1Container container, string what) =>
        new($"Container {container.Name} uses {what}, which the end-to-end test does not translate to podman yet.");

    private static ContainerPlan PlanContainer(
        RenderedStatefulSet rendered,
        PodIdentity pod,
        IReadOnlyDictionary<string, string> claims,
        IReadOnlyDictionary<int, int> hostPorts,
        TranslationOptions options,
        V1Container container,
        bool isInit)
    {
        if (container.Lifecycle?.PostStart is not null)
        {
            throw Unsupported(container, "a postStart hook");
        }

        var environment = ContainerEnvironment.Resolve(rendered, container, pod, options.EnvironmentOverrides.GetValueOrDefault(container.Name));
        var podmanName = $"{pod.Name}-{container.Name}";
        var image = LocalImage(container, options);
        List<string> create = ["create", "--pod", pod.Name, "--name", podmanName, "--pull", "never"];
        if (isInit)
        {
            create.AddRange(["--init-ctr", "always"]);
        }

        var (securityArguments, imageUserMustBeNonRoot) = Security(rendered.PodSpec.SecurityContext, container);
        create.AddRange(securityArguments);
        create.AddRange(Resources(container));
        create.AddRange(Mounts(rendered.PodSpec, container, claims));
        foreach (var (name, value) in environment)
        {
            create.AddRange(["--env", $"{name}={value}"]);
        }

        if (container.WorkingDir is { Length: > 0 } workingDirectory)
        {
            create.AddRange(["--workdir", workingDirectory]);
        }

        if (container.Command is { Count: > 0 } command)
        {
            create.AddRange(["--entrypoint", JsonSerializer.Serialize(command.Select(part => ContainerEnvironment.Expand(part, environment)))]);
        }

        create.Add(image);
        create.AddRange((container.Args ?? []).Select(argument => ContainerEnvironment.Expand(argument, environment)));

        var preStop = container.Lifecycle?.PreStop;
        if (preStop is { HttpGet: not null } or { TcpSocket: not null })
        {
            throw Unsupported(container, "a preStop hook other than exec or sleep");
        }

        return new ContainerPlan(
            container.Name,
            podmanName,
            isInit,
            image,
            create,
            [.. container.Ports ?? []],
            Probes(container, hostPorts),
            preStop,
            imageUserMustBeNonRoot);
    }

    private static string LocalImage(V1Container container, TranslationOptions options)
    {
        var reference = container.Image;
        var tag = reference.LastIndexOf(':');
        var name = tag > reference.LastIndexOf('/') ? reference[..tag] : reference;
        return options.Images.TryGetValue(name, out var local)
            ? local
            : throw new InvalidOperationException($"Container {container.Name} runs image {reference}, which the test does not build (it builds {string.Join(", ", options.Images.Keys)}).");
    }

    private static (List<string> Arguments, bool ImageUserMustBeNonRoot) Security(V1PodSecurityContext? pod, V1Container container)
    {
        var own = container.SecurityContext;
        List<string> arguments = [];
        var user = own?.RunAsUser ?? pod?.RunAsUser;
        var group = own?.RunAsGroup ?? pod?.RunAsGroup;
        if (user is not null)
        {
            arguments.AddRange(["--user", group is null ? $"{user}" : $"{user}:{group}"]);
        }
        else if (group is not null)
        {
            throw Unsupported(container, "runAsGroup without runAsUser");
        }

        var runAsNonRoot = own?.RunAsNonRoot ?? pod?.RunAsNonRoot ?? false;
        if (runAsNonRoot && user == 0)
        {
            throw new InvalidOperationException($"Container {container.Name}: runAsNonRoot with runAsUser 0 would never start.");
        }

        if (pod?.FsGroup is { } fsGroup)
        {
            arguments.AddRange(["--group-add", $"{fsGroup}"]);
        }

        foreach (var supplemental in pod?.SupplementalGroups ?? [])
        {
            arguments.AddRange(["--group-add", $"{supplemental}"]);
        }

        if (own?.ReadOnlyRootFilesystem == true)
        {
            // podman would otherwise mount its own tmpfs on /tmp, /run and /var/tmp; Kubernetes does not.
            arguments.AddRange(["--read-only", "--read-only-tmpfs=false"]);
        }

        if (own?.AllowPrivilegeEscalation == false)
        {
            arguments.AddRange(["--security-opt", "no-new-privileges"]);
        }

        if (own?.Privileged == true)
        {
            throw Unsupported(container, "privileged: true");
        }

        foreach (var capability in own?.Capabilities?.Drop ?? [])
        {
            arguments.AddRange(["--cap-drop", capability]);
        }

        foreach (var capability in own?.Capabilities?.Add ?? [])
        {
            arguments.AddRange(["--cap-add", capability]);
        }

        // RuntimeDefault is podman's default seccomp profile too.
        if ((own?.SeccompProfile ?? pod?.SeccompProfile)?.Type is not (null or "RuntimeDefault"))
        {
            throw Unsupported(container, "a seccomp profile other than RuntimeDefault");
        }

        return (arguments, runAsNonRoot && user is null);
    }

    private static IEnumerable<string> Resources(V1Container container)
    {
        var limits = container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>();
        if (limits.TryGetValue("memory", out var memory))
        {
            yield return "--memory";
            yield return memory.ToInt64().ToString(CultureInfo.InvariantCulture);
        }

        if (limits.TryGetValue("cpu", out var cpu))
        {
            yield return "--cpus";
            yield return cpu.ToDecimal().ToString(CultureInfo.InvariantCulture);
        }
    }

    private static IEnumerable<string> Mounts(V1PodSpec spec, V1Container container, IReadOnlyDictionary<string, string> claims)
    {
        foreach (var mount in container.VolumeMounts ?? [])
        {
            if (!string.IsNullOrEmpty(mount.SubPath) || !string.IsNullOrEmpty(mount.SubPathExpr))
            {
                throw Unsupported(container, $"subPath on volume mount {mount.Name}");
            }

            var readOnly = mount.ReadOnlyProperty == true ? ":ro" : "";
            if (claims.TryGetValue(mount.Name, out var volume))
            {
                yield return "--volume";
                yield return $"{volume}:{mount.MountPath}{readOnly}";
                continue;
            }

            var source = spec.Volumes?.SingleOrDefault(v => v.Name == mount.Name)
                ?? throw new InvalidOperationException($"Container {container.Name} mounts volume {mount.Name}, which the pod does not declare.");
            if (source.EmptyDir is not { } emptyDir)
            {
                throw Unsupported(container, $"volume {mount.Name} that is neither a claim template nor an emptyDir");
            }

            // An emptyDir is writable by everyone in the pod, like a fresh /tmp.
            var size = emptyDir.SizeLimit is { } limit ? $",size={limit.ToInt64()}" : "";
            yield return "--tmpfs";
            yield return $"{mount.MountPath}:rw,mode=1777{size}{(mount.ReadOnlyProperty == true ? ",ro" : "")}";
        }
    }

    private static List<ProbePlan> Probes(V1Container container, IReadOnlyDictionary<int, int> hostPorts)
    {
        List<ProbePlan> probes = [];
        foreach (var (kind, probe) in new[] { (ProbeKind.Startup, container.StartupProbe), (ProbeKind.Readiness, container.ReadinessProbe), (ProbeKind.Liveness, container.LivenessProbe) })
        {
            if (probe is null)
            {
                continue;
            }

            if (probe.Grpc is not null || probe.HttpGet is { Scheme: "HTTPS" })
            {
                throw Unsupported(container, $"a {kind} probe over gRPC or HTTPS");
            }

            var port = (probe.HttpGet?.Port ?? probe.TcpSocket?.Port) is { } named ? ContainerPort(container, named) : (int?)null;
            probes.Add(new ProbePlan(kind, probe, port, port is { } p ? hostPorts[p] : null));
        }

        return probes;
    }

    private static int ContainerPort(V1Container container, IntOrString port) =>
        int.TryParse(port.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : container.Ports?.SingleOrDefault(p => p.Name == port.Value)?.ContainerPort
              ?? throw new InvalidOperationException($"Container {container.Name}: a probe names port {port.Value}, which the container does not declare.");

    /// <summary>The template's labels plus those the StatefulSet controller adds to each pod.</summary>
    private static Dictionary<string, string> PodLabels(RenderedStatefulSet rendered, string podName, int ordinal) =>
        new(rendered.StatefulSet.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["statefulset.kubernetes.io/pod-name"] = podName,
            ["apps.kubernetes.io/pod-index"] = ordinal.ToString(CultureInfo.InvariantCulture),
        };
}
