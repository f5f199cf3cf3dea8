using Microsoft.Data.Sqlite;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>
/// Ships a real live database into a real s3rver as the sidecar does (docs/design.md, "Continuous shipping"): a verified
/// snapshot per chain, then each batch of commits read from the WAL as one segment, every object with its SHA-256.
/// </summary>
/// <param name="visits">The live database's visits before the first chain.</param>
internal sealed class ShippedChains(RemoteStore store, string live, string staging, long visits) : IDisposable
{
    private readonly SqliteConnection _writer = OpenLive(live, visits);
    private DateTimeOffset _start;
    private WalPosition? _place;
    private long _frames;

    public long Visits { get; private set; } = visits;

    /// <summary>Starts a chain: the whole database as it is, timed <paramref name="at"/>.</summary>
    /// <returns>The snapshot's key.</returns>
    public async Task<string> StartChainAsync(DateTimeOffset at)
    {
        (_start, _place, _frames) = (at, null, 0);
        Directory.CreateDirectory(staging);
        var file = Path.Combine(staging, $"snapshot-{at.UtcTicks}.db");
        using (var database = new LiveDatabase(live))
        using (var snapshot = database.BeginSnapshot()!.Value.Snapshot)
        {
            snapshot.CopyTo(file, CancellationToken.None);
        }

        // The WAL restarts from its first frame, as the chain's position 0 says.
        using (var command = _writer.CreateCommand())
        {
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
        }

        await store.PutBackupAsync(file, RemoteChain.SnapshotFor(at));
        return Key(RemoteChain.SnapshotFor(at));
    }

    /// <summary>Commits <paramref name="perCommit"/> visits once per time given, then ships them as one segment timed so.</summary>
    /// <returns>The segment's key.</returns>
    public async Task<string> ShipAsync(long perCommit, params DateTimeOffset[] commitTimes)
    {
        foreach (var _ in commitTimes)
        {
            using var transaction = _writer.BeginTransaction();
            Databases.AddVisits(_writer, transaction, _start, perCommit);
            transaction.Commit();
            Visits += perCommit;
        }

        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(live, _place));
        Assert.Equal(commitTimes.Length, read.Commits.Count);
        var frames = read.Length / (WriteAheadLog.FrameHeaderBytes + read.PageSize);
        var segment = new ShippedSegment(_frames, _frames + frames, read.Next!.Value, commitTimes[0], commitTimes[^1]);
        var file = Path.Combine(staging, segment.Name);
        await using (var body = File.Create(file))
        {
            ShippedSegment.WriteBody(body, live, read, commitTimes);
        }

        (_place, _frames) = (read.Next, _frames + frames);
        var name = $"{RemoteChain.FolderFor(_start)}/{segment.Name}";
        await store.PutBackupAsync(file, name);
        return Key(name);
    }

    public void Dispose() => _writer.Dispose();

    private static string Key(string name) => $"{RemoteStore.PodFolder}{name}";

    private static SqliteConnection OpenLive(string path, long visits)
    {
        VisitsFile.Create(path, visits);
        return SqliteDatabase.OpenWriter(path, create: false);
    }
}
