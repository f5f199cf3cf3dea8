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

    /// <summary>The start of a segment's body: how many commits it holds, then each one's time (Unix milliseconds, big-endian).</summary>
    public static void WriteCommitTimes(Stream body, IReadOnlyList<DateTimeOffset> commits)
    {
        var bytes = new byte[sizeof(int) + (commits.Count * TimeBytes)];
        BinaryPrimitives.WriteInt32BigEndian(bytes, commits.Count);
        for (var i = 0; i < commits.Count; i++)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(sizeof(int) + (i * TimeBytes)), commits[i].ToUnixTimeMilliseconds());
        }

        body.Write(bytes);
    }

    /// <summary>Reads what <see cref="WriteCommitTimes"/> wrote, leaving the body at the WAL header that follows.</summary>
    /// <exception cref="InvalidDataException">The body is shorter than the count it starts with says.</exception>
    public static IReadOnlyList<DateTimeOffset> ReadCommitTimes(Stream body)
    {
        var number = new byte[TimeBytes];
        body.ReadExactly(number.AsSpan(0, sizeof(int)));
        var count = BinaryPrimitives.ReadInt32BigEndian(number);
        if (count < 0 || (body.CanSeek && (long)count * TimeBytes > body.Length - body.Position))
        {
            throw new InvalidDataException($"a segment body that counts {count} commits is damaged");
        }

        var times = new DateTimeOffset[count];
        for (var i = 0; i < count; i++)
        {
            body.ReadExactly(number);
            times[i] = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(number));
        }

        return times;
    }

    /// <summary>A segment's body: the times of the commits <paramref name="read"/> found, the WAL's header, then its frames.</summary>
    public static void WriteBody(Stream body, string databasePath, WalRead.Committed read, IReadOnlyList<DateTimeOffset> commitTimes)
    {
        if (commitTimes.Count != read.Commits.Count)
        {
            throw new ArgumentException($"{commitTimes.Count} times for {read.Commits.Count} commits", nameof(commitTimes));
        }

        WriteCommitTimes(body, commitTimes);
        using var wal = new FileStream(databasePath + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[WriteAheadLog.FrameHeaderBytes + read.PageSize];
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
    /// <exception cref="InvalidDataException">The body holds fewer commits than it has times for, or is damaged.</exception>
    public static DateTimeOffset? ApplyBody(string databasePath, Stream body, DateTimeOffset asOf)
    {
        var times = ReadCommitTimes(body);
        var included = times.TakeWhile(time => time <= asOf).Count();
        if (WriteAheadLog.Apply(databasePath, body, included) != included)
        {
            throw new InvalidDataException($"a segment body with {times.Count} commit times holds fewer commits");
        }

        return included == 0 ? null : times[included - 1];
    }

    [GeneratedRegex(@"^(\d{12})-(\d{12})_([0-9a-f]{8})([0-9a-f]{8})-(\d{10})_(\d{8}T\d{6}\.\d{3})Z_(\d{8}T\d{6}\.\d{3})Z\.wal$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
