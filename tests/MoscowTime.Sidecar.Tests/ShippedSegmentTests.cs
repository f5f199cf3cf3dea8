using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Tests;

public sealed class ShippedSegmentTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 13, 0, 5, 250, TimeSpan.Zero);

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
    public void Commit_times_read_back_to_the_millisecond_and_leave_the_body_at_the_wal_header()
    {
        DateTimeOffset[] times = [Start, Start.AddMilliseconds(1), Start.AddSeconds(1)];
        byte[] walHeader = [0x37, 0x7f, 0x06, 0x82];
        using var body = new MemoryStream();
        ShippedSegment.WriteCommitTimes(body, times);
        body.Write(walHeader);

        body.Position = 0;
        Assert.Equal(times, ShippedSegment.ReadCommitTimes(body));
        Assert.Equal(walHeader, body.ToArray()[(int)body.Position..]);
    }

    [Fact]
    public void A_body_shorter_than_its_count_of_commit_times_is_refused()
    {
        using var body = new MemoryStream();
        ShippedSegment.WriteCommitTimes(body, [Start, Start.AddSeconds(1)]);
        body.SetLength(body.Length - 1);

        body.Position = 0;
        Assert.Throws<InvalidDataException>(() => ShippedSegment.ReadCommitTimes(body));
    }
}
