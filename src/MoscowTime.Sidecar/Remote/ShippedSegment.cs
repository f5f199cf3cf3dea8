using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// One shipped piece of a chain (docs/design.md, "Continuous shipping"): frames <paramref name="From"/> up to
/// <paramref name="To"/> counted from the chain's start, ending at <paramref name="End"/> in the WAL, whose commits were
/// first seen from <paramref name="FirstCommit"/> to <paramref name="LastCommit"/>. The name carries all of it, so a
/// listing alone orders a chain, shows a gap, tells which segments an instant needs and gives a restarted sidecar its place.
/// </summary>
public sealed partial record ShippedSegment(long From, long To, WalPosition End, DateTimeOffset FirstCommit, DateTimeOffset LastCommit)
{
    private const int TimeBytes = sizeof(long);

    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"{From:D12}-{To:D12}_{End.Salt1:x8}{End.Salt2:x8}-{End.Frames:D10}_{BackupCatalog.Stamp(FirstCommit)}Z_{BackupCatalog.Stamp(LastCommit)}Z.wal");

    /// <summary>The segment a name of ours describes; null for any other name.</summary>
    public static ShippedSegment? Parse(string name)
    {
        if (NamePattern().Match(name) is not { Success: true } match)
        {
            return null;
        }

        long Number(int group) => long.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);
        uint Salt(int group) => uint.Parse(match.Groups[group].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return new ShippedSegment(Number(1), Number(2), new WalPosition(Salt(3), Salt(4), Number(5)),
            BackupCatalog.ParseStamp(match.Groups[6].Value), BackupCatalog.ParseStamp(match.Groups[7].Value));
    }

    /// <summary>
    /// A segment's body: the count of commits <paramref name="read"/> found and each one's time (Unix milliseconds,
    /// big-endian), then the WAL's header and the frames, as <see cref="WriteAheadLog.Apply"/> takes them.
    /// </summary>
    public static void WriteBody(Stream body, string databasePath, WalRead.Committed read, IReadOnlyList<DateTimeOffset> commitTimes)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(commitTimes.Count, read.Commits.Count, nameof(commitTimes));
        WriteTimes(body, commitTimes);
        var buffer = new byte[WriteAheadLog.FrameHeaderBytes + read.PageSize];
        using var wal = new FileStream(databasePath + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        foreach (var (offset, length) in new[] { (0L, (long)WriteAheadLog.HeaderBytes), (read.Offset, read.Length) })
        {
            wal.Position = offset;
            for (var left = length; left > 0; left -= buffer.Length)
            {
                var chunk = (int)Math.Min(buffer.Length, left);
                wal.ReadExactly(buffer, 0, chunk);
                body.Write(buffer, 0, chunk);
            }
        }
    }

    /// <summary>
    /// Applies the commits of a segment's body timed at or before <paramref name="asOf"/> onto a copy of the database.
    /// Returns the time of the last one applied; null when none was.
    /// </summary>
    /// <exception cref="InvalidDataException">The body is shorter than its count of times says, or holds fewer commits.</exception>
    public static DateTimeOffset? ApplyBody(string databasePath, Stream body, DateTimeOffset asOf)
    {
        var times = ReadTimes(body);
        var included = times.TakeWhile(time => time <= asOf).Count();
        if (WriteAheadLog.Apply(databasePath, body, included) != included)
        {
            throw new InvalidDataException($"a segment body with {times.Length} commit times holds fewer commits");
        }

        return included == 0 ? null : times[included - 1];
    }

    /// <summary>
    /// Adds a segment's body to a merge: its commit times to <paramref name="times"/>, its frames to <paramref name="frames"/>,
    /// after its WAL header for the first part only (restore reads just the page size from it, the same in every generation).
    /// </summary>
    public static void AppendBody(Stream body, List<DateTimeOffset> times, Stream frames)
    {
        times.AddRange(ReadTimes(body));
        body.Seek(frames.Length == 0 ? 0 : WriteAheadLog.HeaderBytes, SeekOrigin.Current);
        body.CopyTo(frames);
    }

    /// <summary>A body's start: the count of commits, then each one's time. A merged body goes on with the frames <see cref="AppendBody"/> gathered.</summary>
    public static void WriteTimes(Stream body, IReadOnlyList<DateTimeOffset> times)
    {
        var buffer = new byte[sizeof(int) + (times.Count * TimeBytes)];
        BinaryPrimitives.WriteInt32BigEndian(buffer, times.Count);
        for (var i = 0; i < times.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(sizeof(int) + (i * TimeBytes)), times[i].ToUnixTimeMilliseconds());
        }

        body.Write(buffer);
    }

    /// <exception cref="InvalidDataException">The body is shorter than its count of times says.</exception>
    private static DateTimeOffset[] ReadTimes(Stream body)
    {
        var number = new byte[TimeBytes];
        body.ReadExactly(number.AsSpan(0, sizeof(int)));
        var times = new DateTimeOffset[BinaryPrimitives.ReadInt32BigEndian(number)];
        for (var i = 0; i < times.Length; i++)
        {
            if (body.ReadAtLeast(number, TimeBytes, throwOnEndOfStream: false) < TimeBytes)
            {
                throw new InvalidDataException($"a segment body that counts {times.Length} commit times ends after {i}");
            }

            times[i] = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(number));
        }

        return times;
    }

    [GeneratedRegex(@"^(\d{12})-(\d{12})_([0-9a-f]{8})([0-9a-f]{8})-(\d{10})_(\d{8}T\d{6}\.\d{3})Z_(\d{8}T\d{6}\.\d{3})Z\.wal$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
