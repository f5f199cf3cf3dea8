using System.Diagnostics;
using System.Globalization;
using MoscowTime.EndToEnd.Tests.Infrastructure;

namespace MoscowTime.EndToEnd.Tests.Pods;

/// <summary>
/// One pod of the StatefulSet in podman: its volume (the PVC), the pod (shared network namespace,
/// ports on 127.0.0.1), the init container that runs first on every start, and the app containers.
/// </summary>
public sealed class PodmanPod : IAsyncDisposable
{
    /// <summary>Readiness has no failure limit in Kubernetes (the pod just stays unready); here it has.</summary>
    private static readonly TimeSpan ReadinessBudget = TimeSpan.FromSeconds(90);

    /// <summary>The kubelet probes every periodSeconds; polling faster measures when the app is actually ready.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private readonly Podman _podman;
    private readonly HttpClient _http = new();

    private PodmanPod(Podman podman, PodPlan plan)
    {
        _podman = podman;
        Plan = plan;
    }

    public PodPlan Plan { get; }

    public string Name => Plan.Name;

    /// <summary>When the last `podman pod start` was issued; init containers keep the logs of every start.</summary>
    public DateTimeOffset LastStarted { get; private set; }

    /// <summary>Creates the volume, the pod and its containers (nothing runs yet), after removing leftovers of an earlier run.</summary>
    public static async Task<PodmanPod> CreateAsync(Podman podman, PodPlan plan)
    {
        var pod = new PodmanPod(podman, plan);
        try
        {
            await RemoveAsync(podman, plan);
            foreach (var volume in plan.Volumes)
            {
                await podman.CheckAsync("volume", "create", volume);
            }

            await podman.CheckAsync([.. plan.CreateArguments]);
            foreach (var container in plan.Containers)
            {
                await pod.RequireNonRootImageUserAsync(container);
                await podman.CheckAsync([.. container.CreateArguments]);
            }

            return pod;
        }
        catch
        {
            await pod.DisposeAsync();
            throw;
        }
    }

    /// <summary>`podman pod start` (init containers first, to completion), then waits for every startup and readiness probe.</summary>
    /// <returns>The time from `podman pod start` to ready.</returns>
    public async Task<TimeSpan> StartAsync()
    {
        LastStarted = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var started = await _podman.RunAsync(["pod", "start", Name], TimeSpan.FromMinutes(3));
        if (!started.Succeeded)
        {
            throw new InvalidOperationException($"`podman pod start {Name}` failed: {started.StandardError.Trim()}\n{await LogsAsync()}");
        }

        await Task.WhenAll(Plan.Running.Select(WaitUntilReadyAsync));
        return clock.Elapsed;
    }

    /// <summary>
    /// Deletes the pod the way the kubelet does: preStop hooks, then SIGTERM, all within the grace
    /// period, SIGKILL after it. The volume stays, as a PVC does.
    /// </summary>
    /// <returns>The exit code of each app container.</returns>
    public async Task<IReadOnlyDictionary<string, int>> StopAsync()
    {
        var clock = Stopwatch.StartNew();
        var grace = Plan.TerminationGracePeriod;
        await Task.WhenAll(Plan.Running.Where(c => c.PreStop is not null).Select(c => RunPreStopAsync(c, grace)));
        var remaining = Math.Max(1, (int)(grace - clock.Elapsed).TotalSeconds);
        (await _podman.RunAsync(["pod", "stop", "--time", $"{remaining}", Name], grace + TimeSpan.FromMinutes(1))).EnsureSuccess();

        var exitCodes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var container in Plan.Running)
        {
            var code = await _podman.CheckAsync("inspect", "--format", "{{.State.ExitCode}}", container.PodmanName);
            exitCodes[container.Name] = int.Parse(code, CultureInfo.InvariantCulture);
        }

        return exitCodes;
    }

    /// <summary>Runs a command in a running container, as `kubectl exec` would (as the container's user).</summary>
    public Task<CommandResult> ExecAsync(string container, params string[] command) =>
        _podman.RunAsync(["exec", Plan.Container(container).PodmanName, .. command]);

    /// <summary>Runs a shell script against the pod's volume at /data while the pod is stopped: what an operator does with a debug pod.</summary>
    public async Task<string> ShellOnVolumeAsync(string script)
    {
        var web = Plan.Container("web");
        var result = await _podman.RunAsync(
            ["run", "--rm", "--name", $"{Name}-volume", "--network", "none", "--pull", "never",
             "--volume", $"{Plan.Volumes.Single()}:/data", "--entrypoint", "sh", web.Image, "-c", script]);
        return result.EnsureSuccess().StandardOutput;
    }

    /// <summary>The last lines each container printed, for failure messages.</summary>
    public async Task<string> LogsAsync(int lines = 30)
    {
        var logs = new List<string>();
        foreach (var container in Plan.Containers)
        {
            var result = await _podman.RunAsync(["logs", "--tail", $"{lines}", container.PodmanName]);
            logs.Add($"--- {container.PodmanName} ---\n{result.StandardOutput}{result.StandardError}");
        }

        return string.Join('\n', logs);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await RemoveAsync(_podman, Plan);
    }

    /// <summary>Removes the pod, its containers and its volume; never throws, so that it cannot hide a test's own failure.</summary>
    public static async Task RemoveAsync(Podman podman, PodPlan plan)
    {
        await podman.RunAsync(["pod", "rm", "--force", "--ignore", "--time", "0", plan.Name]);
        await podman.RunAsync(["rm", "--force", "--ignore", "--time", "0", .. plan.Containers.Select(c => c.PodmanName), $"{plan.Name}-volume"]);
        foreach (var volume in plan.Volumes)
        {
            if (await podman.ExistsAsync("volume", volume))
            {
                await podman.RunAsync(["volume", "rm", "--force", volume]);
            }
        }
    }

    private async Task WaitUntilReadyAsync(ContainerPlan container)
    {
        foreach (var probe in container.Probes.Where(p => p.Kind == ProbeKind.Startup))
        {
            await PollAsync(container, probe, probe.FailureBudget);
        }

        foreach (var probe in container.Probes.Where(p => p.Kind == ProbeKind.Readiness))
        {
            await PollAsync(container, probe, ReadinessBudget);
        }

        // A ready container that the kubelet would then restart for failing liveness is not ready.
        foreach (var probe in container.Probes.Where(p => p.Kind == ProbeKind.Liveness))
        {
            await PollAsync(container, probe, probe.FailureBudget);
        }
    }

    private async Task PollAsync(ContainerPlan container, ProbePlan probe, TimeSpan budget)
    {
        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            if (await PassesAsync(container, probe))
            {
                return;
            }

            if (attempt % 10 == 0 && !await IsRunningAsync(container))
            {
                throw new InvalidOperationException($"{container.PodmanName} exited before its {probe.Kind} probe passed.\n{await LogsAsync()}");
            }

            if (clock.Elapsed > budget)
            {
                throw new TimeoutException($"{container.PodmanName}: {probe.Kind} probe still failing after {budget.TotalSeconds:0} s.\n{await LogsAsync()}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Runs one probe once, as the kubelet would.</summary>
    public async Task<bool> PassesAsync(ContainerPlan container, ProbePlan probe)
    {
        var spec = probe.Spec;
        if (spec.HttpGet is { } get)
        {
            using var timeout = new CancellationTokenSource(probe.Timeout);
            try
            {
                using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{probe.HostPort}{get.Path}"), timeout.Token);
                return (int)response.StatusCode is >= 200 and < 400;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                return false;
            }
        }

        if (spec.TcpSocket is not null)
        {
            // slirp4netns accepts a connection on the host port even when nothing listens in the
            // pod, so connect from inside the pod, as the kubelet connects to the pod's IP.
            var connect = await _podman.RunAsync(
                ["exec", container.PodmanName, "bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{probe.ContainerPort}"],
                probe.Timeout + TimeSpan.FromSeconds(10));
            return connect.Succeeded;
        }

        if (spec.Exec is { } exec)
        {
            return (await _podman.RunAsync(["exec", container.PodmanName, .. exec.Command], probe.Timeout + TimeSpan.FromSeconds(10))).Succeeded;
        }

        throw new NotSupportedException($"{container.PodmanName}: a {probe.Kind} probe with no httpGet, tcpSocket or exec.");
    }

    private async Task<bool> IsRunningAsync(ContainerPlan container) =>
        await _podman.CheckAsync("inspect", "--format", "{{.State.Running}}", container.PodmanName) == "true";

    private async Task RunPreStopAsync(ContainerPlan container, TimeSpan grace)
    {
        if (container.PreStop?.Sleep is { } sleep)
        {
            await Task.Delay(TimeSpan.FromSeconds(sleep.Seconds));
            return;
        }

        // The kubelet logs a failed hook and carries on; here a hook that cannot run in the image is a finding.
        var command = container.PreStop!.Exec.Command;
        (await _podman.RunAsync(["exec", container.PodmanName, .. command], grace)).EnsureSuccess();
    }

    private async Task RequireNonRootImageUserAsync(ContainerPlan container)
    {
        if (!container.ImageUserMustBeNonRoot)
        {
            return;
        }

        // Like the kubelet: runAsNonRoot can only be verified against a numeric USER.
        var user = (await _podman.CheckAsync("image", "inspect", "--format", "{{.Config.User}}", container.Image)).Split(':')[0];
        if (!long.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out var uid) || uid == 0)
        {
            throw new InvalidOperationException($"{container.Name}: runAsNonRoot, but image {container.Image} runs as '{user}', which Kubernetes cannot verify as non-root.");
        }
    }
}
