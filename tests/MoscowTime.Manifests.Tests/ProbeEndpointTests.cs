using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using MoscowTime.Manifests.Tests.Rendering;
using MoscowTime.Testing;
using MoscowTime.Web.Hosting;

namespace MoscowTime.Manifests.Tests;

/// <summary>Every probe path in the rendered manifest, asked of the real app the probe is aimed at.</summary>
public sealed class ProbeEndpointTests
{
    /// <summary>How long a fresh app may take to answer 200: the startup probe allows far longer.</summary>
    private static readonly TimeSpan StartupAllowance = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Web_answers_every_probe_path_in_the_manifest_with_200_and_counts_no_visit()
    {
        using var data = new TempDirectory("manifest-probes-web");
        await using var web = await LoopbackApp.StartAsync(args => WebApp.Build(args), "--Visits:DatabasePath=" + data.File("visits.db"));
        var paths = ProbeTests.HttpProbePaths(Kustomize.Render(Kustomize.Ordered).Container("web")).ToList();

        Assert.NotEmpty(paths);
        foreach (var path in paths)
        {
            Assert.Equal((path, HttpStatusCode.OK), (path, await StatusOnceStarted(web.Client, path)));
        }

        var visits = await web.Client.GetFromJsonAsync<PodVisits>("/visits");
        Assert.Equal(0, visits!.Visits);
    }

    [Fact]
    public async Task Termination_grace_covers_the_web_apps_pause_and_shutdown_timeout()
    {
        using var data = new TempDirectory("manifest-probes-web");
        await using var web = await LoopbackApp.StartAsync(args => WebApp.Build(args), "--Visits:DatabasePath=" + data.File("visits.db"));
        var shutdownTimeout = web.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout;
        var rendered = Kustomize.Render(Kustomize.Ordered);

        var needed = StatefulSetTests.PreStopSleepSeconds(rendered, "web") + shutdownTimeout.TotalSeconds;
        Assert.True(rendered.Pod.TerminationGracePeriodSeconds >= needed, $"grace {rendered.Pod.TerminationGracePeriodSeconds} s, web needs {needed} s");
    }

    private static async Task<HttpStatusCode> StatusOnceStarted(HttpClient client, string path)
    {
        var deadline = DateTime.UtcNow + StartupAllowance;
        while (true)
        {
            using var response = await client.GetAsync(path);
            if (response.StatusCode == HttpStatusCode.OK || DateTime.UtcNow > deadline)
            {
                return response.StatusCode;
            }

            await Task.Delay(100);
        }
    }

    private sealed record PodVisits(string Pod, long Visits);
}
