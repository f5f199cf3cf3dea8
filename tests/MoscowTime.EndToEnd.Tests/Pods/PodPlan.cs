using k8s.Models;

namespace MoscowTime.EndToEnd.Tests.Pods;

/// <summary>One ordinal of the StatefulSet as podman commands: what the kubelet would run on a node.</summary>
public sealed record PodPlan(
    string Name,
    IReadOnlyList<string> Volumes,
    IReadOnlyList<string> CreateArguments,
    IReadOnlyList<ContainerPlan> Containers,
    IReadOnlyDictionary<int, int> HostPorts,
    TimeSpan TerminationGracePeriod)
{
    /// <summary>The containers that keep running once the init containers are done.</summary>
    public IEnumerable<ContainerPlan> Running => Containers.Where(container => !container.IsInit);

    public ContainerPlan Container(string name) =>
        Containers.SingleOrDefault(container => container.Name == name)
        ?? throw new InvalidOperationException($"The pod template has no container {name}.");

    /// <summary>http://127.0.0.1:port/ for the container's first declared port.</summary>
    public Uri Address(string container)
    {
        var ports = Container(container).Ports;
        return ports.Count > 0
            ? new Uri($"http://127.0.0.1:{HostPorts[ports[0].ContainerPort]}/")
            : throw new InvalidOperationException($"Container {container} declares no port.");
    }
}

/// <param name="Name">The name in the manifest: web, backup, restore.</param>
/// <param name="PodmanName">The container's podman name: moscow-time-0-web.</param>
/// <param name="IsInit">Runs to completion before the others on every pod start.</param>
/// <param name="ImageUserMustBeNonRoot">runAsNonRoot without runAsUser: the image's USER must be a numeric non-zero UID.</param>
public sealed record ContainerPlan(
    string Name,
    string PodmanName,
    bool IsInit,
    string Image,
    IReadOnlyList<string> CreateArguments,
    IReadOnlyList<V1ContainerPort> Ports,
    IReadOnlyList<ProbePlan> Probes,
    V1LifecycleHandler? PreStop,
    bool ImageUserMustBeNonRoot);

public enum ProbeKind
{
    Startup,
    Readiness,
    Liveness,
}

/// <param name="ContainerPort">The probe's port, resolved from a port name where the manifest uses one.</param>
/// <param name="HostPort">Where that port is published on 127.0.0.1.</param>
public sealed record ProbePlan(ProbeKind Kind, V1Probe Spec, int? ContainerPort, int? HostPort)
{
    public TimeSpan Timeout => TimeSpan.FromSeconds(Spec.TimeoutSeconds ?? 1);

    /// <summary>How long the kubelet lets a startup or liveness probe fail before it restarts the container.</summary>
    public TimeSpan FailureBudget =>
        TimeSpan.FromSeconds((Spec.InitialDelaySeconds ?? 0) + ((Spec.PeriodSeconds ?? 10) * (Spec.FailureThreshold ?? 3)));
}
