using System.Net;
using MoscowTime.Faults.Tests.Processes;
using MoscowTime.Testing;
using Xunit.Abstractions;

namespace MoscowTime.Faults.Tests;

[Collection(ProcessTests.Name)]
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Connections = 32;

    private readonly TempDirectory _dir = new("crash");

    private string Database => _dir.File("visits.db");

    /// <summary>
    /// SIGKILL gives the app no chance to finish anything: whatever it had acknowledged must already
    /// be on disk. Each round restarts on the file the last one left and kills at a different point:
    /// during the first commits, and after more and more traffic, a few milliseconds into a batch.
    /// </summary>
    [Fact]
    public async Task Killed_under_load_it_restarts_with_every_acknowledged_visit_and_an_intact_database()
    {
        (long Pages, int ThenMilliseconds)[] killPoints = [(1, 0), (150, 1), (1_000, 3), (2_500, 7)];
        long acknowledged = 0;
        // Visits the app may have stored without the page reaching its client: at most one in flight per connection per kill.
        long unanswered = 0;

        foreach (var (pages, thenMilliseconds) in killPoints)
        {
            await using var web = await Apps.StartWebAsync(Database);
            using var client = new HttpClient { BaseAddress = web.BaseAddress };
            AssertStored(await StoredAsync(client), acknowledged, unanswered, $"after restarting at kill point {pages}");

            await using var load = VisitLoad.Start(web.BaseAddress!, Connections, requests: 20_000, TimeSpan.FromSeconds(30));
            await load.WaitForOkAsync(pages, TimeSpan.FromSeconds(20));
            await Task.Delay(thenMilliseconds);
            web.Process.Kill();
            await web.Process.WaitForExitAsync();
            await load.StopAsync();

            output.WriteLine($"killed after {pages} pages + {thenMilliseconds} ms: {load}");
            Assert.Empty(load.ServerErrors);
            acknowledged += load.Ok;
            unanswered += Connections;
        }

        await using (var last = await Apps.StartWebAsync(Database))
        {
            using var client = new HttpClient { BaseAddress = last.BaseAddress };
            var stored = await StoredAsync(client);
            output.WriteLine($"restarted: {stored} visits stored, {acknowledged} acknowledged");
            AssertStored(stored, acknowledged, unanswered, "after the last kill");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
            Assert.Equal(0, await Apps.StopAsync(last));
            Assert.DoesNotContain("fail:", last.Output, StringComparison.Ordinal);
        }

        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        AssertStored(Databases.StoredVisits(Database), acknowledged, unanswered, "in the file");
    }

    private static void AssertStored(long stored, long acknowledged, long unanswered, string when) =>
        Assert.True(stored >= acknowledged && stored <= acknowledged + unanswered,
            $"{when}: {stored} visits stored; {acknowledged} were acknowledged with a page and at most {unanswered} more were in flight");

    /// <summary>The count the app itself reads from the file, and integrity_check by a second reader meanwhile.</summary>
    private async Task<long> StoredAsync(HttpClient client)
    {
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        return (await Probe.GetAsync(client, "/visits")).Number("visits");
    }

    public void Dispose() => _dir.Dispose();
}
