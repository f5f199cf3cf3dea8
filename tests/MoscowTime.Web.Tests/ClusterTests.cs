using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using MoscowTime.Testing;
using MoscowTime.Web.Cluster;

namespace MoscowTime.Web.Tests;

[Collection(TimingSensitive.Name)]
public sealed class ClusterTests : IAsyncDisposable
{
    private static readonly TimeSpan FanOutBound = TimeSpan.FromMilliseconds(250);
    private readonly TempDirectory _dir = new("cluster");
    private readonly List<LoopbackApp> _apps = [];

    [Fact]
    public async Task Totals_add_up_exactly_over_three_pods_with_a_static_peer_list()
    {
        var (a, b, c) = await StartThreeAsync();
        await VisitAsync(a, 3);
        await VisitAsync(b, 5);
        await VisitAsync(c, 7);

        foreach (var asked in new[] { a, b, c })
        {
            var cluster = await CompleteClusterOf(asked);
            Assert.Equal(15, cluster.Total);
            Assert.Equal(
                [new PodCount("pod-a", 3, true), new PodCount("pod-b", 5, true), new PodCount("pod-c", 7, true)],
                cluster.Pods);
        }

        Assert.Equal(15, Databases.StoredVisits(_dir.File("pod-a.db")) + Databases.StoredVisits(_dir.File("pod-b.db")) + Databases.StoredVisits(_dir.File("pod-c.db")));
    }

    [Fact]
    public async Task A_stopped_pod_makes_the_view_incomplete_within_the_bound_and_complete_again_after_restart()
    {
        var (a, _, c) = await StartThreeAsync();
        await VisitAsync(c, 2);
        await CompleteClusterOf(a);
        var cAddress = c.BaseAddress;

        await c.StopAsync();
        var timer = Stopwatch.StartNew();
        var cluster = await ClusterOf(a);
        timer.Stop();

        Assert.False(cluster.Complete);
        var down = Assert.Single(cluster.Pods, pod => !pod.Ok);
        Assert.Equal("pod-c", down.Pod);
        Assert.Null(down.Visits);
        Assert.False(string.IsNullOrEmpty(down.Error));
        Assert.Equal(0, cluster.Total);
        Assert.True(timer.Elapsed < FanOutBound + TimeSpan.FromMilliseconds(200), $"took {timer.Elapsed.TotalMilliseconds:0} ms");

        await StartPodAsync("pod-c", cAddress.ToString().TrimEnd('/'), Peers(a.BaseAddress));
        Assert.Equal(2, (await CompleteClusterOf(a)).Total);
    }

    [Fact]
    public async Task A_hanging_peer_costs_at_most_the_bound_and_then_its_circuit_opens()
    {
        using var hanging = new TcpListener(IPAddress.Loopback, 0);
        hanging.Start(backlog: 64);
        var hangingUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)hanging.LocalEndpoint).Port}");
        var b = await StartPodAsync("pod-b", "http://127.0.0.1:0", []);
        await VisitAsync(b, 1);
        var a = await StartPodAsync("pod-a", "http://127.0.0.1:0", Peers(b.BaseAddress, hangingUrl));
        await ClusterOf(a); // warm-up: the first call also pays for JIT

        var errors = new List<string>();
        var slowest = TimeSpan.Zero;
        var fastest = TimeSpan.MaxValue;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            var timer = Stopwatch.StartNew();
            var cluster = await ClusterOf(a);
            timer.Stop();
            slowest = timer.Elapsed > slowest ? timer.Elapsed : slowest;
            fastest = timer.Elapsed < fastest ? timer.Elapsed : fastest;

            Assert.False(cluster.Complete);
            Assert.True(cluster.Pods.Contains(new PodCount("pod-b", 1, true)), "a hanging peer spoiled a healthy one: " + string.Join("; ", cluster.Pods));
            errors.Add(Assert.Single(cluster.Pods, pod => !pod.Ok).Error!);
        }

        Assert.True(slowest < FanOutBound + TimeSpan.FromMilliseconds(150), $"a fan-out with a hanging peer took {slowest.TotalMilliseconds:0} ms");
        Assert.Contains(errors, error => error.Contains("circuit open", StringComparison.Ordinal));
        Assert.True(fastest < TimeSpan.FromMilliseconds(50), $"even with the circuit open a fan-out took {fastest.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task Peers_are_discovered_through_dns_and_the_page_shows_them()
    {
        IPAddress[] peers = [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")];
        var port = FreePort.OnAll(peers);
        var b = await StartPodAsync("pod-b", $"http://127.0.0.2:{port}", []);
        var c = await StartPodAsync("pod-c", $"http://127.0.0.3:{port}", []);
        await VisitAsync(b, 4);
        await VisitAsync(c, 6);

        var resolver = new LoopbackResolver(peers);
        var a = await StartPodAsync("pod-a", "http://127.0.0.1:0",
            ["--Cluster:PeerDns=moscow-time.test.svc.cluster.local", $"--Cluster:PeerPort={port}"],
            services => services.AddSingleton<IPeerResolver>(resolver));

        var cluster = await CompleteClusterOf(a);
        Assert.Equal("moscow-time.test.svc.cluster.local", Assert.Single(resolver.Asked.Distinct()));
        Assert.Equal(10, cluster.Total);
        Assert.Equal(["pod-a", "pod-b", "pod-c"], cluster.Pods.Select(pod => pod.Pod));

        var page = await a.Client.GetStringAsync("/");
        Assert.Contains("<td>pod-b</td><td>4</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td>pod-c</td><td>6</td>", page, StringComparison.Ordinal);
        Assert.Contains("<td id=\"cluster-total\">11</td>", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Asking_for_the_cluster_records_no_visit_anywhere()
    {
        var (a, b, c) = await StartThreeAsync();

        for (var i = 0; i < 3; i++)
        {
            await ClusterOf(a);
        }

        Assert.Equal(0, (await ClusterOf(b)).Total);
        Assert.Equal(0, Databases.StoredVisits(_dir.File("pod-c.db")) + Databases.StoredVisits(_dir.File("pod-a.db")));
        await c.StopAsync();
    }

    private async Task<(LoopbackApp A, LoopbackApp B, LoopbackApp C)> StartThreeAsync()
    {
        var urls = Enumerable.Range(0, 3).Select(_ => $"http://127.0.0.1:{FreePort.On(IPAddress.Loopback)}").ToArray();
        var names = new[] { "pod-a", "pod-b", "pod-c" };
        var apps = new LoopbackApp[3];
        for (var i = 0; i < 3; i++)
        {
            apps[i] = await StartPodAsync(names[i], urls[i], Peers([.. urls.Where((_, j) => j != i).Select(url => new Uri(url))]));
        }

        return (apps[0], apps[1], apps[2]);
    }

    private static string[] Peers(params Uri[] peers) =>
        [.. peers.Select((peer, i) => $"--Cluster:Peers:{i}={peer.ToString().TrimEnd('/')}")];

    private async Task<LoopbackApp> StartPodAsync(string pod, string url, string[] args, Action<IServiceCollection>? services = null)
    {
        var app = await LoopbackApp.StartAtAsync(url,
            a => Hosting.WebApp.Build(a, builder => services?.Invoke(builder.Services)),
            [$"--Visits:DatabasePath={_dir.File(pod + ".db")}", $"--POD_NAME={pod}", "--Logging:LogLevel:Default=Warning",
             "--Cluster:BreakDuration=00:00:01", .. args]);
        _apps.Add(app);
        return app;
    }

    private static async Task VisitAsync(LoopbackApp app, int times)
    {
        for (var i = 0; i < times; i++)
        {
            (await app.Client.GetAsync("/")).EnsureSuccessStatusCode();
        }
    }

    /// <summary>Right after start a first fan-out can outlast its bound on JIT alone: wait (bounded) for a complete view.</summary>
    private static async Task<ClusterVisits> CompleteClusterOf(LoopbackApp app)
    {
        var watch = Stopwatch.StartNew();
        ClusterVisits cluster;
        while (!(cluster = await ClusterOf(app)).Complete && watch.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        Assert.True(cluster.Complete, "not complete within 10 s: " + string.Join("; ", cluster.Pods.Where(pod => !pod.Ok).Select(pod => $"{pod.Pod}: {pod.Error}")));
        return cluster;
    }

    private static async Task<ClusterVisits> ClusterOf(LoopbackApp app)
    {
        using var response = await app.Client.GetAsync("/visits/cluster");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ClusterVisits>())!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        _dir.Dispose();
    }

    private sealed class LoopbackResolver(IPAddress[] addresses) : IPeerResolver
    {
        public List<string> Asked { get; } = [];

        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            lock (Asked)
            {
                Asked.Add(host);
            }

            return Task.FromResult(addresses);
        }
    }
}
