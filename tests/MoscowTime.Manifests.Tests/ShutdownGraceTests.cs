using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MoscowTime.Manifests.Tests.Rendering;
using MoscowTime.Sidecar;
using MoscowTime.Web;

namespace MoscowTime.Manifests.Tests;

/// <summary>
/// Each app's shutdown timeout, as the built app configures it, ends before the kubelet's SIGKILL.
/// The grace period counts from before the container's preStop pause, so the pause, the timeout
/// and the process's exit once the host gives up waiting must all fit inside it.
/// </summary>
public sealed class ShutdownGraceTests
{
    /// <summary>After the timeout the host still disposes its services and flushes its log before the process exits.</summary>
    private static readonly TimeSpan ExitAfterTimeout = TimeSpan.FromSeconds(2);

    [Theory, BothOverlays]
    public async Task Each_apps_shutdown_timeout_ends_inside_the_grace_period_after_its_pause(string overlay)
    {
        var rendered = Kustomize.Render(overlay);
        var grace = TimeSpan.FromSeconds(rendered.Pod.TerminationGracePeriodSeconds ?? 30);
        using var data = new TempDirectory("shutdown-grace");
        await using var web = WebApp.Build([$"--Visits:DatabasePath={data.File("visits.db")}"]);
        await using var sidecar = SidecarApp.Build([$"--Backup:DatabasePath={data.File("visits.db")}", $"--Backup:Directory={data.File("backups")}"]);

        foreach (var (container, app) in new[] { ("web", web), ("backup", sidecar) })
        {
            var timeout = app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
            var pause = TimeSpan.FromSeconds(StatefulSetTests.PreStopSleepSeconds(rendered, container));

            Assert.True(pause + timeout + ExitAfterTimeout <= grace,
                $"{container}: a {pause.TotalSeconds} s pause, a {timeout.TotalSeconds} s shutdown timeout and {ExitAfterTimeout.TotalSeconds} s to exit exceed the {grace.TotalSeconds} s grace period");
        }
    }
}
