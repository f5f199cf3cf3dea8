using System.Diagnostics;
using System.Net;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;
using Xunit.Abstractions;

namespace MoscowTime.Faults.Tests;

[Collection(ProcessTests.Name)]
public sealed class GracefulStopTests(ITestOutputHelper output) : IDisposable
{
    private const int Connections = 32;

    /// <summary>The StatefulSet's terminationGracePeriodSeconds: SIGKILL follows after this.</summary>
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new("sigterm");

    private string Database => _dir.File("visits.db");

    [Fact]
    public async Task SIGTERM_under_load_stores_every_acknowledged_visit_refuses_the_rest_cleanly_and_exits_0()
    {
        await using var web = await Apps.StartWebAsync(Database);
        await using var load = VisitLoad.Start(web.BaseAddress!, Connections, requests: 20_000, TimeSpan.FromSeconds(30));
        await load.WaitForOkAsync(500, TimeSpan.FromSeconds(20));

        var signalled = Stopwatch.StartNew();
        web.Terminate();
        var exitCode = await web.WaitForExitAsync(GracePeriod);
        var stoppedIn = signalled.Elapsed;
        // Clients keep coming after the exit: they must be refused, not answered.
        var sentAtExit = load.Sent;
        await Poll.UntilAsync(() => Task.FromResult(load.Sent), sent => sent > sentAtExit + Connections, TimeSpan.FromSeconds(5), "requests after the exit");
        await load.StopAsync();
        output.WriteLine($"exit code {exitCode} {stoppedIn.TotalMilliseconds:F0} ms after SIGTERM; {load}");

        Assert.Equal(0, exitCode);
        Assert.True(stoppedIn < GracePeriod, $"exited {stoppedIn} after SIGTERM, past the {GracePeriod} grace period");
        Assert.All(load.Statuses.Keys, status => Assert.True(status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable,
            $"a request around SIGTERM got {(int)status}: {load}"));
        Assert.Contains(nameof(HttpRequestError.ConnectionError), load.Failures.Keys);
        Assert.DoesNotContain("fail:", web.Output, StringComparison.Ordinal);

        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        var stored = Databases.StoredVisits(Database);
        Assert.True(stored >= load.Ok && stored <= load.Ok + Connections,
            $"{stored} visits stored; {load.Ok} were acknowledged with a page and at most {Connections} more were in flight");
    }

    public void Dispose() => _dir.Dispose();
}
