using System.Buffers.Binary;

namespace MoscowTime.Storage;

/// <summary>A place in a database's WAL: its generation (the header's salts, new at every restart) and the frames read of it.</summary>
public readonly record struct WalPosition(uint Salt1, uint Salt2, long Frames);

/// <summary>What <see cref="WriteAheadLog.ReadCommitted"/> found after a position.</summary>
public abstract record WalRead
{
    /// <summary>The WAL no longer continues the position (restarted, gone, or damaged where it was read): start again from a snapshot.</summary>
    public sealed record LostPlace(string Reason) : WalRead;

    /// <summary>
    /// The committed frames after the position: <paramref name="Length"/> bytes at <paramref name="Offset"/> of the WAL file,
    /// frame after frame (a 24-byte header, then one page), the last one a commit; <paramref name="Commits"/> holds the WAL
    /// index of each commit frame among them. <paramref name="Next"/> is null while there is no WAL.
    /// </summary>
    public sealed record Committed(WalPosition? Next, int PageSize, long Offset, long Length, IReadOnlyList<long> Commits) : WalRead;
}

/// <summary>
/// Reads a database's WAL file directly (https://www.sqlite.org/fileformat2.html#walformat), for shipping each commit's
/// frames, and writes shipped frames onto a copy of the database, for restoring them. No SQLite API: a plain read of the
/// file takes no lock and so never delays the writer.
/// </summary>
public static class WriteAheadLog
{
    public const int HeaderBytes = 32;
    public const int FrameHeaderBytes = 24;
    private const uint MagicLittleEndian = 0x377f0682;
    private const uint MagicBigEndian = 0x377f0683;
    // Header: magic, version, page size, checkpoint sequence, salt-1 (16), salt-2 (20), checksum over bytes 0-23 (24, 28).
    private const int PageSizeAt = 8, Salt1At = 16, Salt2At = 20, ChecksumAt = 24;
    // Frame header: page number (0), database size in pages after a commit, else 0 (4), salts (8, 12), checksum (16, 20).
    private const int DatabasePagesAt = 4, FrameSaltAt = 8, FrameChecksumAt = 16, FrameChecksummedBytes = 8;

    /// <summary>
    /// The frames committed after <paramref name="from"/> (the WAL's first frame when null), each checked against SQLite's
    /// cumulative checksum; reading stops at the first frame that fails (torn, garbled, left from an earlier generation),
    /// and frames after the last valid commit (a transaction still being written) are not returned.
    /// </summary>
    /// <remarks>
    /// Frames are overwritten only after a restart, which changes the salts: while the salts match, the frames before the
    /// position are the ones already read, so the checksum carries on from the one stored in the last of them.
    /// </remarks>
    public static WalRead ReadCommitted(string databasePath, WalPosition? from)
    {
        using var wal = OpenShared(databasePath + "-wal");
        var header = new byte[HeaderBytes];
        if (wal is null || wal.Length < HeaderBytes || wal.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes
            || ReadHeader(header) is not { } valid)
        {
            // No WAL, or one SQLite itself would ignore: everything committed is in the database file.
            return from is null ? new WalRead.Committed(null, 0, 0, 0, []) : new WalRead.LostPlace("the WAL is gone or was reset");
        }

        var (bigEndian, pageSize, salt1, salt2) = valid;
        if (from is { } place && (place.Salt1, place.Salt2) != (salt1, salt2))
        {
            return new WalRead.LostPlace($"the WAL restarted (salts {salt1:x8}-{salt2:x8}, not {place.Salt1:x8}-{place.Salt2:x8})");
        }

        long frameBytes = FrameHeaderBytes + pageSize;
        var frame = new byte[frameBytes];
        var start = from?.Frames ?? 0;
        var sum = (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(ChecksumAt)), BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(ChecksumAt + 4)));
        if (start > 0)
        {
            wal.Position = HeaderBytes + ((start - 1) * frameBytes);
            if (wal.ReadAtLeast(frame, FrameHeaderBytes, throwOnEndOfStream: false) < FrameHeaderBytes || !SaltsMatch(frame, header))
            {
                return new WalRead.LostPlace($"the WAL no longer holds frame {start} of its generation");
            }

            sum = (BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(FrameChecksumAt)), BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(FrameChecksumAt + 4)));
        }

        var commits = new List<long>();
        var end = start;
        wal.Position = HeaderBytes + (start * frameBytes);
        for (var index = start; wal.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false) == frame.Length; index++)
        {
            sum = Checksum(frame.AsSpan(FrameHeaderBytes), bigEndian, Checksum(frame.AsSpan(0, FrameChecksummedBytes), bigEndian, sum));
            if (!SaltsMatch(frame, header)
                || sum != (BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(FrameChecksumAt)), BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(FrameChecksumAt + 4))))
            {
                break;
            }

            if (BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(DatabasePagesAt)) != 0)
            {
                commits.Add(index);
                end = index + 1;
            }
        }

        return new WalRead.Committed(new WalPosition(salt1, salt2, end), pageSize, HeaderBytes + (start * frameBytes), (end - start) * frameBytes, commits);
    }

    /// <summary>
    /// Writes shipped frames onto a copy of the database, each page at its place, and cuts the file to the size the last
    /// applied commit gives it; stops after <paramref name="commits"/> commits (restoring to an instant). Returns the
    /// number of commits applied.
    /// </summary>
    /// <param name="wal">The WAL's header, then frames as <see cref="ReadCommitted"/> found them.</param>
    /// <exception cref="InvalidDataException">No valid WAL header, or the frames end inside a transaction.</exception>
    public static int Apply(string databasePath, Stream wal, int commits = int.MaxValue)
    {
        var header = new byte[HeaderBytes];
        if (wal.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || ReadHeader(header) is not { } valid)
        {
            throw new InvalidDataException("the frames do not start with a valid WAL header");
        }

        var pageSize = valid.PageSize;
        using var database = new FileStream(databasePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var frame = new byte[FrameHeaderBytes + pageSize];
        var applied = 0;
        var pending = false;
        while (applied < commits && wal.ReadAtLeast(frame, frame.Length, throwOnEndOfStream: false) is var read && read > 0)
        {
            if (read < frame.Length)
            {
                throw new InvalidDataException($"the frames end inside a frame ({read} of {frame.Length} bytes)");
            }

            database.Position = (BinaryPrimitives.ReadUInt32BigEndian(frame) - 1L) * pageSize;
            database.Write(frame, FrameHeaderBytes, pageSize);
            pending = true;
            if (BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(DatabasePagesAt)) is var pages and not 0)
            {
                database.SetLength((long)pages * pageSize);
                applied++;
                pending = false;
            }
        }

        if (pending)
        {
            throw new InvalidDataException("the frames end inside a transaction, after its last commit");
        }

        database.Flush(flushToDisk: true);
        return applied;
    }

    private static FileStream? OpenShared(string path)
    {
        try
        {
            // The writer keeps the WAL open, writes it and may truncate it meanwhile: share everything, lock nothing.
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static (bool BigEndian, int PageSize, uint Salt1, uint Salt2)? ReadHeader(byte[] header)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        var bigEndian = magic == MagicBigEndian;
        var stored = (BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(ChecksumAt)), BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(ChecksumAt + 4)));
        if ((magic != MagicLittleEndian && !bigEndian) || Checksum(header.AsSpan(0, ChecksumAt), bigEndian, (0, 0)) != stored)
        {
            return null;
        }

        return (bigEndian, (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(PageSizeAt)),
            BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(Salt1At)), BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(Salt2At)));
    }

    private static bool SaltsMatch(byte[] frame, byte[] header) =>
        frame.AsSpan(FrameSaltAt, 2 * sizeof(uint)).SequenceEqual(header.AsSpan(Salt1At, 2 * sizeof(uint)));

    /// <summary>SQLite's WAL checksum: 32-bit words in the byte order the magic names, two running sums, carried on from <paramref name="sum"/>.</summary>
    private static (uint, uint) Checksum(ReadOnlySpan<byte> data, bool bigEndian, (uint, uint) sum)
    {
        var (s0, s1) = sum;
        for (var i = 0; i < data.Length; i += 2 * sizeof(uint))
        {
            var x0 = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[i..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            var x1 = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(data[(i + sizeof(uint))..]) : BinaryPrimitives.ReadUInt32LittleEndian(data[(i + sizeof(uint))..]);
            s0 += x0 + s1;
            s1 += x1 + s0;
        }

        return (s0, s1);
    }
}
