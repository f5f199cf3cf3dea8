using System.Buffers.Binary;

namespace MoscowTime.Storage;

/// <summary>A place in a database's WAL: its generation (the header's salts, new at every restart) and the frames read of it.</summary>
public readonly record struct WalPosition(uint Salt1, uint Salt2, long Frames);

/// <summary>What <see cref="WriteAheadLog.ReadCommitted"/> found after a position.</summary>
public abstract record WalRead
{
    /// <summary>The WAL no longer continues the position (restarted, gone, or damaged where it was read): take a snapshot.</summary>
    public sealed record LostPlace(string Reason) : WalRead;

    /// <summary>
    /// <paramref name="Length"/> bytes at <paramref name="Offset"/> of the WAL, whole frames (a 24-byte header and a page)
    /// ending with a commit; <paramref name="Commits"/> are the WAL indexes of their commit frames. No WAL: Next is null.
    /// When the position's generation has ended, these are its last frames and <paramref name="Following"/> is frame 0 of
    /// the next one, where reading goes on once they are shipped.
    /// </summary>
    public sealed record Committed(WalPosition? Next, int PageSize, long Offset, long Length, IReadOnlyList<long> Commits, WalPosition? Following = null) : WalRead;
}

/// <summary>
/// Reads a database's WAL file (https://www.sqlite.org/fileformat2.html#walformat) to ship each commit's frames, and
/// writes shipped frames onto a copy to restore them. Plain file reads: no SQLite lock, so the writer never waits.
/// </summary>
public static class WriteAheadLog
{
    public const int HeaderBytes = 32;
    public const int FrameHeaderBytes = 24;
    private const uint MagicLittleEndian = 0x377f0682, MagicBigEndian = 0x377f0683;
    // Header: magic, version, page size (8), checkpoint sequence, salts (16, 20), checksum of bytes 0-23 (24, 28).
    private const int PageSizeAt = 8, SaltsAt = 16, ChecksumAt = 24;
    // Frame header: page number, database pages after a commit else 0 (4), salts (8, 12), checksum (16, 20) of
    // the first 8 bytes and the page, carried on from the previous frame's.
    private const int DatabasePagesAt = 4, FrameSaltsAt = 8, FrameChecksumAt = 16, FrameChecksummedBytes = 8;

    /// <summary>
    /// The frames committed after <paramref name="from"/> (the first frame when null), checked against SQLite's cumulative
    /// checksum. Reading stops at the first frame that fails (torn, garbled, from an earlier generation); frames after
    /// the last valid commit (a transaction still being written) are left for the next read.
    /// </summary>
    /// <remarks>
    /// Frames are overwritten only after a restart, which changes the salts: while they match, the frames before the
    /// position are the ones already read, so the checksum carries on from the one stored in the last of them. A restart
    /// adds one to salt-1 and overwrites from frame 0 up: while the frame before the position keeps the old salts, the
    /// ended generation's frames after it are intact. Two restarts, a position at frame 0, or a file cut inside a frame
    /// (by <c>journal_size_limit</c>; SQLite writes whole frames) lose the place.
    /// </remarks>
    public static WalRead ReadCommitted(string databasePath, WalPosition? from)
    {
        // The writer keeps the WAL open, writes and may truncate it meanwhile: share everything, lock nothing. Removed
        // between the two calls, it throws, and the next read finds none.
        var path = databasePath + "-wal";
        using var wal = File.Exists(path) ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete) : null;
        var header = new byte[HeaderBytes];
        if (wal is null || wal.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || PageSize(header) is not { } pageSize)
        {
            // No WAL, or one SQLite itself would ignore: everything committed is in the database file.
            return from is null ? new WalRead.Committed(null, 0, 0, 0, []) : new WalRead.LostPlace("the WAL is gone or was reset");
        }

        var (salt1, salt2) = Pair(header, SaltsAt);
        long start = from?.Frames ?? 0, end = start, frameBytes = FrameHeaderBytes + pageSize;
        WalPosition? following = null;
        if (from is { } place && (place.Salt1, place.Salt2) != (salt1, salt2))
        {
            if (unchecked(place.Salt1 + 1) != salt1 || start == 0 || (wal.Length - HeaderBytes) % frameBytes != 0)
            {
                return new WalRead.LostPlace($"the WAL restarted (salts {salt1:x8}-{salt2:x8}, not {place.Salt1:x8}-{place.Salt2:x8})");
            }

            following = new WalPosition(salt1, salt2, 0);
            (salt1, salt2) = (place.Salt1, place.Salt2);
        }

        var frame = new byte[frameBytes];
        var sum = Pair(header, ChecksumAt);
        if (start > 0)
        {
            wal.Position = HeaderBytes + ((start - 1) * frameBytes);
            if (wal.ReadAtLeast(frame, FrameHeaderBytes, throwOnEndOfStream: false) < FrameHeaderBytes || Pair(frame, FrameSaltsAt) != (salt1, salt2))
            {
                return new WalRead.LostPlace($"the WAL no longer holds frame {start} of its generation");
            }

            sum = Pair(frame, FrameChecksumAt);
        }

        var bigEndian = BinaryPrimitives.ReadUInt32BigEndian(header) == MagicBigEndian;
        var commits = new List<long>();
        wal.Position = HeaderBytes + (start * frameBytes);
        for (var index = start; wal.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false) == frame.Length; index++)
        {
            sum = Checksum(frame.AsSpan(FrameHeaderBytes), bigEndian, Checksum(frame.AsSpan(0, FrameChecksummedBytes), bigEndian, sum));
            if (Pair(frame, FrameSaltsAt) != (salt1, salt2) || sum != Pair(frame, FrameChecksumAt))
            {
                break;
            }

            if (BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(DatabasePagesAt)) != 0)
            {
                commits.Add(index);
                end = index + 1;
            }
        }

        return new WalRead.Committed(new WalPosition(salt1, salt2, end), pageSize, HeaderBytes + (start * frameBytes), (end - start) * frameBytes, commits, following);
    }

    /// <summary>
    /// Writes a WAL's frames onto a copy of the database, each page at its place, cutting the file to the size each
    /// commit gives it; stops after <paramref name="commits"/> commits (an instant). Returns the commits applied.
    /// </summary>
    /// <param name="wal">The WAL's header, then frames as <see cref="ReadCommitted"/> found them.</param>
    /// <exception cref="InvalidDataException">No valid WAL header, or the frames end inside a frame or a transaction.</exception>
    public static int Apply(string databasePath, Stream wal, int commits = int.MaxValue)
    {
        var header = new byte[HeaderBytes];
        if (wal.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || PageSize(header) is not { } pageSize)
        {
            throw new InvalidDataException("the frames do not start with a valid WAL header");
        }

        using var database = new FileStream(databasePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var frame = new byte[FrameHeaderBytes + pageSize];
        var (applied, pending, read) = (0, false, 0);
        while (applied < commits && (read = wal.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false)) == frame.Length)
        {
            database.Position = (BinaryPrimitives.ReadUInt32BigEndian(frame) - 1L) * pageSize;
            database.Write(frame, FrameHeaderBytes, pageSize);
            pending = true;
            if (BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(DatabasePagesAt)) is var pages and not 0)
            {
                database.SetLength((long)pages * pageSize);
                (applied, pending) = (applied + 1, false);
            }
        }

        if (pending || read is > 0 && read < frame.Length)
        {
            throw new InvalidDataException("the frames end inside a transaction or a frame, not after a commit");
        }

        database.Flush(flushToDisk: true);
        return applied;
    }

    /// <summary>The page size of a valid WAL header (its magic known, its checksum right); null for any other.</summary>
    private static int? PageSize(byte[] header)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        var valid = magic is MagicLittleEndian or MagicBigEndian
            && Checksum(header.AsSpan(0, ChecksumAt), magic == MagicBigEndian, (0, 0)) == Pair(header, ChecksumAt);
        return valid ? (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(PageSizeAt)) : null;
    }

    private static (uint, uint) Pair(byte[] bytes, int at) =>
        (BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at)), BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + sizeof(uint))));

    /// <summary>SQLite's WAL checksum: 32-bit words in the byte order the magic names, two running sums.</summary>
    private static (uint, uint) Checksum(ReadOnlySpan<byte> data, bool bigEndian, (uint, uint) sum)
    {
        var (s0, s1) = sum;
        for (var i = 0; i < data.Length; i += 2 * sizeof(uint))
        {
            s0 += Word(data[i..]) + s1;
            s1 += Word(data[(i + sizeof(uint))..]) + s0;
        }

        return (s0, s1);
        uint Word(ReadOnlySpan<byte> at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(at) : BinaryPrimitives.ReadUInt32LittleEndian(at);
    }
}
