using System.Net;
using MoscowTime.Testing;

namespace MoscowTime.Web.Tests;

public sealed class ShutdownTests : IDisposable
{
    /// <summary>Far more than a stop lets through, however the machine schedules the test against its load.</summary>
    private const int Requests = 30_000;
    private const int StopAfter = 300;

    private readonly TempDirectory _dir = new("stop");

    [Fact]
    public async Task Stopping_under_load_stores_every_visit_that_got_a_200()
    {
        var path = _dir.File("visits.db");
        var app = await WebAppHost.StartAsync(path);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = app.BaseAddress };

        var ok = 0;
        var load = Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (_, ct) =>
        {
            try
            {
                using var response = await client.GetAsync("/", ct);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    await response.Content.ReadAsStringAsync(ct);
                    Interlocked.Increment(ref ok);
                }
            }
            catch (HttpRequestException)
            {
                // Refused or reset once the server stops listening: no 200, so no promise made.
            }
        });

        await Poll.UntilAsync(() => Volatile.Read(ref ok) >= StopAfter || load.IsCompleted, TimeSpan.FromSeconds(60),
            $"{StopAfter} visits before the stop", () => $"{Volatile.Read(ref ok)} visits");

        await app.StopAsync();
        await load;
        await app.DisposeAsync();

        Assert.InRange(ok, StopAfter, Requests - 1);
        Assert.Equal(ok, Databases.StoredVisits(path));
        Assert.Equal("ok", Databases.IntegrityCheck(path));
    }

    public void Dispose() => _dir.Dispose();
}
