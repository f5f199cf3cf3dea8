using System.Buffers.Binary;
using Dapper;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

public sealed class ShippedSegmentTests : IDisposable
{
    /// <summary>Visits added by each commit of the shipping test: counts tell the commits apart.</summary>
    private const long VisitsPerCommit = 10;

    private static readonly DateTimeOffset Start = new(2026, 12, 4, 13, 0, 5, 250, TimeSpan.Zero);
    private readonly TempDirectory _dir = new("segment");

    [Fact]
    public void Segments_written_from_a_live_wal_restore_the_snapshot_to_any_instant_between_their_commits()
    {
        var live = _dir.File("visits.db");
        var snapshot = _dir.File("snapshot.db");
        using var writer = SqliteDatabase.OpenWriter(live, create: true);
        Schema.Migrate(writer);
        writer.Execute("PRAGMA wal_checkpoint(TRUNCATE);");
        File.Copy(live, snapshot);

        // Three commits a second apart; the first two found by one read, the third by the next.
        var bodies = new List<byte[]>();
        WalPosition? place = null;
        foreach (var commitsInRead in new[] { 2, 1 })
        {
            for (var i = 0; i < commitsInRead; i++)
            {
                using var transaction = writer.BeginTransaction();
                Databases.AddVisits(writer, transaction, Start, VisitsPerCommit);
                transaction.Commit();
            }

            var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(live, place));
            var firstTime = Start.AddSeconds(bodies.Count * 2);
            using var body = new MemoryStream();
            ShippedSegment.WriteBody(body, live, read, Enumerable.Range(0, commitsInRead).Select(i => firstTime.AddSeconds(i)).ToList());
            bodies.Add(body.ToArray());
            place = read.Next;
        }

        Assert.Equal((0L, null), RestoreAsOf(Start.AddMilliseconds(-1)));
        Assert.Equal((VisitsPerCommit, Start), RestoreAsOf(Start.AddMilliseconds(999)));
        Assert.Equal((2 * VisitsPerCommit, Start.AddSeconds(1)), RestoreAsOf(Start.AddSeconds(1)));
        Assert.Equal((3 * VisitsPerCommit, Start.AddSeconds(2)), RestoreAsOf(Start.AddHours(1)));

        (long Visits, DateTimeOffset? Newest) RestoreAsOf(DateTimeOffset asOf)
        {
            var copy = _dir.File($"as-of-{asOf.UtcTicks}.db");
            File.Copy(snapshot, copy);
            DateTimeOffset? newest = null;
            foreach (var bytes in bodies)
            {
                using var body = new MemoryStream(bytes);
                newest = ShippedSegment.ApplyBody(copy, body, asOf) ?? newest;
            }

            Assert.Equal("ok", Databases.IntegrityCheck(copy));
            return (Databases.StoredVisits(copy), newest);
        }
    }

    [Fact]
    public void A_name_gives_back_everything_it_was_made_from_and_names_sort_in_apply_order()
    {
        // Salts with the high bit set and a frame count past 32 bits: the name must not lose either.
        var first = new ShippedSegment(0, 41, new WalPosition(0xF00DBEEF, 0x0000002A, 41), Start, Start.AddMilliseconds(750));
        var second = new ShippedSegment(41, 5_000_000_000, new WalPosition(0xF00DBEF0, 0x9C3D77E1, 4_999_999_959),
            Start.AddSeconds(1), Start.AddHours(1));

        Assert.Equal(first, ShippedSegment.Parse(first.Name));
        Assert.Equal(second, ShippedSegment.Parse(second.Name));
        Assert.Equal([first.Name, second.Name], new[] { second.Name, first.Name }.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("visits-20261125T003012.345Z.db")]
    [InlineData("snapshot.db")]
    [InlineData("000000000000-000000000041_f00dbeef0000002a-0000000041_20261204T130005.250Z_20261204T130006.000Z.wal.tmp")]
    public void Names_that_are_not_segments_are_not_taken_for_one(string name) => Assert.Null(ShippedSegment.Parse(name));

    [Fact]
    public void A_body_shorter_than_its_count_of_commit_times_is_refused()
    {
        // Two times counted, one there.
        var bytes = new byte[sizeof(int) + sizeof(long)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 2);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(sizeof(int)), Start.ToUnixTimeMilliseconds());
        using var body = new MemoryStream(bytes);

        Assert.Throws<InvalidDataException>(() => ShippedSegment.ApplyBody(_dir.File("never-opened.db"), body, Start));
    }

    public void Dispose() => _dir.Dispose();
}
