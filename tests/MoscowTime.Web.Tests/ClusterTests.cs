using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Testing;
using MoscowTime.Web.Cluster;

namespace MoscowTime.Web.Tests;

/// <summary>
/// Real pods on 127.0.0.1 asking each other. Timeouts, retries and circuits run on the app's
/// TimeProvider: the tests that are about them move a FakeTimeProvider and count calls, and the
/// others give a loaded machine all the time it needs (a healthy peer that answers late is still
/// healthy), so no verdict depends on how fast this machine is.
/// </summary>
public sealed class ClusterTests : IAsyncDisposable
{
    private static readonly TimeSpan Patient = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FanOutBound = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(1);
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
    public async Task A_stopped_pod_makes_the_view_incomplete_and_complete_again_after_restart()
    {
        var (a, _, c) = await StartThreeAsync();
        await VisitAsync(c, 2);
        await CompleteClusterOf(a);
        var cAddress = c.BaseAddress;

        await c.StopAsync();
        var cluster = await ClusterOf(a);

        Assert.False(cluster.Complete);
        var down = Assert.Single(cluster.Pods, pod => !pod.Ok);
        Assert.Equal("pod-c", down.Pod);
        Assert.Null(down.Visits);
        Assert.False(string.IsNullOrEmpty(down.Error));
        Assert.Equal(0, cluster.Total);

        await StartPodAsync("pod-c", cAddress.ToString().TrimEnd('/'), Peers(a.BaseAddress));
        Assert.Equal(2, (await CompleteClusterOf(a)).Total);
    }

    [Fact]
    public async Task A_hanging_peer_costs_at_most_the_bound_on_the_apps_clock_and_then_its_circuit_opens()
    {
        await using var hanging = new HangingPeer();
        var b = await StartPodAsync("pod-b", "http://127.0.0.1:0", []);
        await VisitAsync(b, 1);
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var a = await StartOnFakeClockAsync(clock, Peers(b.BaseAddress, hanging.BaseAddress));
        using var calls = new MetricCollector<double>(a.Services.GetRequiredService<IMeterFactory>(), ClusterMetrics.MeterName, "peer_call_duration");
        int HealthyAnswers() => calls.GetMeasurementSnapshot().Count(call => !Equals(call.Tags["peer"], hanging.BaseAddress.Authority));

        // Round 1: the hanging peer is tried twice and each attempt times out; pod-b's answer is in.
        var started = clock.GetUtcNow();
        var first = await FanOutAsync(a, clock, HealthyAnswers, hanging, expectedHealthyAnswers: 1, expectedConnections: 1);
        Assert.True(clock.GetUtcNow() - started <= FanOutBound, $"the fan-out took {(clock.GetUtcNow() - started).TotalMilliseconds} ms on the app's clock, over its {FanOutBound.TotalMilliseconds} ms bound");
        Assert.Equal(2, hanging.Connections);
        Assert.Contains(new PodCount("pod-b", 1, true), first.Pods);
        Assert.Contains("no answer", Assert.Single(first.Pods, pod => !pod.Ok).Error, StringComparison.Ordinal);

        // Round 2: the circuit is open. No call reaches the peer and no time has to pass at all.
        var second = await FanOutAsync(a, clock, HealthyAnswers, hanging, expectedHealthyAnswers: 2, expectedConnections: 2);
        Assert.Equal(2, hanging.Connections);
        Assert.Contains(new PodCount("pod-b", 1, true), second.Pods);
        Assert.Contains("circuit open", Assert.Single(second.Pods, pod => !pod.Ok).Error, StringComparison.Ordinal);

        // After the break, one trial call goes out again, fails, and the circuit closes on it once more.
        clock.Advance(BreakDuration);
        var third = await FanOutAsync(a, clock, HealthyAnswers, hanging, expectedHealthyAnswers: 3, expectedConnections: 3);
        Assert.Equal(3, hanging.Connections);
        Assert.Contains(new PodCount("pod-b", 1, true), third.Pods);
        var fourth = await FanOutAsync(a, clock, HealthyAnswers, hanging, expectedHealthyAnswers: 4, expectedConnections: 3);
        Assert.Equal(3, hanging.Connections);
        Assert.Contains("circuit open", Assert.Single(fourth.Pods, pod => !pod.Ok).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_page_never_waits_on_a_peer_even_while_a_fan_out_hangs()
    {
        await using var hanging = new HangingPeer();
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var a = await StartOnFakeClockAsync(clock, Peers(hanging.BaseAddress));

        // The app's clock stands still, so this fan-out cannot end until the test moves it.
        var pending = ClusterOf(a);
        await Poll.UntilAsync(() => hanging.Connections >= 1, Patient, "the fan-out to reach the hanging peer");

        using var page = await a.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.False(pending.IsCompleted, "the fan-out ended although no time passed on the app's clock");

        await AdvanceUntilDoneAsync(clock, pending);
        Assert.False((await pending).Complete);
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

    /// <summary>
    /// One /visits/cluster call on the fake clock: the clock moves only once every healthy peer has
    /// answered and the hanging one holds its connection (or the call has already ended), so a slow
    /// machine can never turn a healthy answer into a timeout.
    /// </summary>
    private static async Task<ClusterVisits> FanOutAsync(
        LoopbackApp app, FakeTimeProvider clock, Func<int> healthyAnswers, HangingPeer hanging, int expectedHealthyAnswers, int expectedConnections)
    {
        var query = ClusterOf(app);
        await Poll.UntilAsync(
            () => healthyAnswers() >= expectedHealthyAnswers && (hanging.Connections >= expectedConnections || query.IsCompleted),
            Patient,
            $"pod-b's answer #{expectedHealthyAnswers} and connection #{expectedConnections} to the hanging peer",
            () => $"{healthyAnswers()} answers, {hanging.Connections} connections, query {(query.IsCompleted ? "done" : "pending")}");
        await AdvanceUntilDoneAsync(clock, query);
        return await query;
    }

    /// <summary>Moves the app's clock in small steps until <paramref name="task"/> ends; a bound on the clock must end it.</summary>
    private static async Task AdvanceUntilDoneAsync(FakeTimeProvider clock, Task task)
    {
        var step = TimeSpan.FromMilliseconds(5);
        var started = clock.GetUtcNow();
        await Poll.UntilAsync(
            () =>
            {
                if (!task.IsCompleted && clock.GetUtcNow() - started < Patient)
                {
                    clock.Advance(step);
                }

                return task.IsCompleted;
            },
            Patient,
            "the fan-out to end as the app's clock moves",
            () => $"{(clock.GetUtcNow() - started).TotalMilliseconds} ms passed on the app's clock");
    }

    /// <summary>pod-a on a clock the test moves, with the shipped peer timeouts and no background refresh competing for its peers.</summary>
    private Task<LoopbackApp> StartOnFakeClockAsync(FakeTimeProvider clock, string[] peers) =>
        StartPodAsync("pod-a", "http://127.0.0.1:0",
            [.. peers, $"--Cluster:PeerTimeout={PeerTimeout}", $"--Cluster:FanOutTimeout={FanOutBound}"],
            services =>
            {
                services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock));
                services.Remove(services.Single(descriptor => descriptor.ServiceType == typeof(IHostedService) && descriptor.ImplementationType == typeof(ClusterRefresher)));
            });

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
            a => WebApp.Build(a, builder => services?.Invoke(builder.Services)),
            [$"--Visits:DatabasePath={_dir.File(pod + ".db")}", $"--POD_NAME={pod}", "--Logging:LogLevel:Default=Warning",
             $"--Cluster:BreakDuration={BreakDuration}",
             // Defaults for the tests not about timing: a loaded machine answers late, not never.
             $"--Cluster:PeerTimeout={Patient}", $"--Cluster:FanOutTimeout={2 * Patient}", .. args]);
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

    private static Task<ClusterVisits> CompleteClusterOf(LoopbackApp app) =>
        Poll.UntilAsync(() => ClusterOf(app), cluster => cluster.Complete, Patient,
            "a complete cluster view");

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
