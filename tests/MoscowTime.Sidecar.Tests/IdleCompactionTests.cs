using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>The real sidecar compacts only right after it shipped something: an idle pod sends nothing, compaction included.</summary>
public sealed class IdleCompactionTests : IAsyncLifetime, IDisposable
{
    private const int IdleSteps = 100;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _dir = new("idle-compaction");
    private readonly FakeTimeProvider _time = new(VisitsFile.Start);
    private readonly SqliteConnection _writer;
    private RemoteStore _store = null!;
    private S3FaultProxy _proxy = null!;

    public IdleCompactionTests()
    {
        _writer = SqliteDatabase.OpenWriter(Database, create: true);
        Schema.Migrate(_writer);
    }

    private string Database => _dir.File("visits.db");

    public async Task InitializeAsync()
    {
        _store = await RemoteStore.StartAsync(_dir);
        _proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
    }

    [Fact]
    public async Task An_idle_pod_sends_no_compaction_the_next_commit_brings_the_merge_and_the_one_after_an_hour_the_parts_deletion()
    {
        Commit();
        await using var sidecar = await SidecarHost.StartAsync(Database, _dir.File("backups"), _time,
            [.. _store.Args(endpoint: _proxy.Endpoint), "--Backup:Remote:SyncInterval=00:00:00.100"]);
        await sidecar.UntilShippedAsync(s => s.Uploads >= 2, "the snapshot and a segment");
        await CommitAndShipAsync(sidecar);
        await CommitAndShipAsync(sidecar);

        var parts = Assert.Single(_store.Chains()).Segments.Count;
        Assert.True(parts >= 2, $"{parts} segments in the first hour");

        // Past the hour and past the interval between compactions: nothing shipped, so nothing written.
        Assert.Empty(await IdleWritesAsync(sidecar));

        var requests = _proxy.Requests;
        await CommitAndShipAsync(sidecar);
        var merged = await Poll.UntilAsync(Counts, c => c.Applied == 2, Patience, "the first hour merged");
        Assert.Equal(parts + 2, merged.Stored);
        Assert.Equal(["PUT", "PUT"], Writes(_proxy.Log.Skip(requests)));
        Assert.Equal(Databases.StoredVisits(Database), _store.RestoreNewest(_dir.File("restored.db")));

        // The merged segment's parts stay while the pod is idle, and go with the next shipment.
        Assert.Empty(await IdleWritesAsync(sidecar));
        requests = _proxy.Requests;
        await CommitAndShipAsync(sidecar);
        await Poll.UntilAsync(Counts, c => c.Stored == 3, Patience, "the parts deleted");
        Assert.Equal(["PUT", .. Enumerable.Repeat("DELETE", parts)], Writes(_proxy.Log.Skip(requests)));
        Assert.Equal(Databases.StoredVisits(Database), _store.RestoreNewest(_dir.File("restored.db")));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _store.DisposeAsync();
    }

    public void Dispose()
    {
        _writer.Dispose();
        _dir.Dispose();
    }

    private void Commit()
    {
        using var transaction = _writer.BeginTransaction();
        Databases.AddVisits(_writer, transaction, VisitsFile.Start, 1);
        transaction.Commit();
    }

    /// <summary>Commits, then moves the clock on until the shipper has sent it as a segment of its own.</summary>
    private async Task CommitAndShipAsync(SidecarHost sidecar)
    {
        var uploads = sidecar.Shipping().Uploads;
        Commit();
        await sidecar.UntilShippedAsync(s => s.Uploads > uploads, $"upload {uploads + 1}");
    }

    /// <summary>The segments a restore applies, and all the chain's segments in the store.</summary>
    private (int Applied, int Stored) Counts()
    {
        var chain = Assert.Single(_store.Chains());
        return (chain.Continuous().Count, chain.Segments.Count);
    }

    /// <summary>Two hours without a commit, the shipper's timer ticking: the write requests the store got meanwhile.</summary>
    private async Task<List<string>> IdleWritesAsync(SidecarHost sidecar)
    {
        var requests = _proxy.Requests;
        _time.Advance(2 * SegmentCompactor.CompactEvery);
        for (var i = 0; i < IdleSteps; i++)
        {
            _time.Advance(sidecar.RemoteOptions().SyncInterval);
            await Task.Delay(5);
        }

        return Writes(_proxy.Log.Skip(requests));
    }

    /// <summary>Reads are the restore drill's, which may run meanwhile; writes are what an idle pod must not send.</summary>
    private static List<string> Writes(IEnumerable<string> log) =>
        [.. log.Select(request => request.Split(' ')[0]).Where(method => method is not ("GET" or "HEAD"))];
}
