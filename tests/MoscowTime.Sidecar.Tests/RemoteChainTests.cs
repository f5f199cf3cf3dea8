using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Tests;

public sealed class RemoteChainTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 13, 0, 5, 250, TimeSpan.Zero);
    private static readonly BackupCatalog Catalog = new("/data/backups", "/data/visits.db");

    [Fact]
    public void A_listing_gives_chains_newest_first_with_old_whole_copies_as_chains_and_foreign_objects_left_out()
    {
        var chains = RemoteChain.From(
        [
            Stored(RemoteChain.SnapshotFor(Start)),
            Stored($"{RemoteChain.FolderFor(Start)}/{Segment(0, 5).Name}"),
            Stored("visits-20261203T120000.000Z.db"),
            Stored("notes.txt"),
            Stored("chain-garbage/snapshot.db"),
            Stored($"{RemoteChain.FolderFor(Start.AddDays(1))}/{Segment(0, 2).Name}"),
        ], Catalog);

        Assert.Equal([Start.AddDays(1), Start, new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero)], chains.Select(c => c.Start));
        Assert.Null(chains[0].Snapshot);
        Assert.Equal(RemoteChain.SnapshotFor(Start), chains[1].Snapshot?.Name);
        Assert.Equal(5, Assert.Single(chains[1].Segments).Segment.To);
        Assert.Equal("visits-20261203T120000.000Z.db", chains[2].Snapshot?.Name);
        Assert.Empty(chains[2].Segments);
    }

    [Fact]
    public void A_restore_takes_the_longest_segment_that_starts_where_the_last_ended_and_stops_at_a_gap()
    {
        var folder = RemoteChain.FolderFor(Start);
        var chain = Assert.Single(RemoteChain.From(
            new[] { (0, 3), (3, 5), (0, 5), (5, 9), (10, 12) }.Select(s => Stored($"{folder}/{Segment(s.Item1, s.Item2).Name}")), Catalog));

        Assert.Equal([(0L, 5L), (5L, 9L)], chain.Continuous().Select(s => (s.Segment.From, s.Segment.To)));
    }

    [Fact]
    public void A_snapshot_named_with_its_wal_generation_gives_the_chain_a_place_before_any_segment()
    {
        var generation = new WalPosition(0x28fca722, 0x180b863f, 0);
        var chains = RemoteChain.From([Stored(RemoteChain.SnapshotFor(Start, generation)), Stored(RemoteChain.SnapshotFor(Start.AddDays(-1)))], Catalog);

        Assert.Equal(RemoteChain.SnapshotFor(Start, generation), chains[0].Snapshot?.Name);
        Assert.Equal(generation, chains[0].Generation);
        Assert.Null(chains[1].Generation);
    }

    [Fact]
    public void Objects_inside_a_chain_folder_belong_to_the_pod_and_other_pods_objects_do_not()
    {
        var location = new RemoteLocation("bucket", "site", "moscow-time-0");

        Assert.Equal("chain-x/snapshot.db", location.NameOf("site/moscow-time-0/chain-x/snapshot.db"));
        Assert.Null(location.NameOf("site/moscow-time-1/chain-x/snapshot.db"));
        Assert.Null(location.NameOf("site/moscow-time-0/"));
    }

    private static ShippedSegment Segment(long from, long to) =>
        new(from, to, new WalPosition(1, 2, to), Start.AddSeconds(from), Start.AddSeconds(to));

    private static RemoteObject Stored(string name) => new($"site/moscow-time-0/{name}", name, 1);
}
