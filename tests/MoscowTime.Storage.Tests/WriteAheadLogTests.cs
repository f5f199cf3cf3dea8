using Dapper;
using Microsoft.Data.Sqlite;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Storage.Tests;

/// <summary>The WAL reader and applier against real SQLite files in WAL mode, never checkpointed behind the test's back.</summary>
public sealed class WriteAheadLogTests : IDisposable
{
    /// <summary>A row larger than a page: its transaction spans several frames, so it can be cut in the middle.</summary>
    private const int PagesPerLargeRow = 3;

    private readonly TempDirectory _dir = new("wal");
    private readonly string _live;
    private readonly string _base;
    private readonly SqliteConnection _writer;
    private readonly int _pageSize;

    public WriteAheadLogTests()
    {
        _live = _dir.File("live.db");
        _base = _dir.File("base.db");
        _writer = Open(_live, SqliteOpenMode.ReadWriteCreate);
        _writer.Execute("""
            PRAGMA journal_mode = WAL;
            PRAGMA synchronous = FULL;
            PRAGMA wal_autocheckpoint = 0;
            CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
            PRAGMA wal_checkpoint(TRUNCATE);
            """);
        _pageSize = _writer.ExecuteScalar<int>("PRAGMA page_size;");
        // Everything so far is in the database file and the WAL is empty: the copy is the state at its first frame.
        File.Copy(_live, _base);
    }

    [Fact]
    public void Frames_read_in_two_steps_and_applied_to_a_copy_reproduce_the_live_database()
    {
        Insert(1, 10);
        Insert(2, 20);
        var first = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from: null));
        Assert.Equal(2, first.Commits.Count);

        Insert(3, _pageSize * PagesPerLargeRow);
        // Two statements without a transaction: two more commits.
        _writer.Execute("UPDATE rows SET body = zeroblob(5) WHERE id = 1; DELETE FROM rows WHERE id = 2;");
        var second = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, first.Next));
        Assert.Equal(first.Offset + first.Length, second.Offset);
        Assert.Equal(3, second.Commits.Count);

        var nothingNew = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, second.Next));
        Assert.Equal(0, nothingNew.Length);
        Assert.Equal(second.Next, nothingNew.Next);

        Assert.Equal(2, Apply(_live, first));
        Assert.Equal(3, Apply(_live, second));
        Assert.Equal(Content(_live), Content(_base));
        Assert.Equal("ok", IntegrityCheck(_base));
    }

    [Fact]
    public void Applying_a_given_number_of_commits_restores_the_state_after_the_last_of_them()
    {
        Insert(1, 10);
        var afterFirst = Content(_live);
        Insert(2, 20);
        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from: null));

        Assert.Equal(1, Apply(_live, read, commits: 1));
        Assert.Equal(afterFirst, Content(_base));
        Assert.Equal("ok", IntegrityCheck(_base));
    }

    [Fact]
    public void A_wal_restarted_whose_new_frames_reach_the_position_is_reported_as_lost_place()
    {
        Insert(1, 10);
        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from: null));
        _writer.Execute("PRAGMA wal_checkpoint(RESTART);");
        Insert(2, 20);

        var lost = Assert.IsType<WalRead.LostPlace>(WriteAheadLog.ReadCommitted(_live, read.Next));
        Assert.Contains($"no longer holds frame {read.Next!.Value.Frames}", lost.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_restart_the_ended_generations_last_frames_then_the_next_generation_reproduce_the_live_database()
    {
        var first = InsertAndRead(1, 2, 3);
        Insert(4, 10);
        Insert(5, _pageSize * PagesPerLargeRow);
        Restart();

        var tail = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, first.Next));
        Assert.Equal(2, tail.Commits.Count);
        Assert.Equal((first.Next!.Value.Salt1, first.Next.Value.Salt2), (tail.Next!.Value.Salt1, tail.Next.Value.Salt2));
        Assert.Equal(unchecked(first.Next.Value.Salt1 + 1), tail.Following!.Value.Salt1);
        var shipped = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, tail.Next));
        Assert.Equal((0L, tail.Following), (shipped.Length, shipped.Following));
        var next = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, tail.Following));
        Assert.Single(next.Commits);

        Assert.Equal(3 + 2 + 1, Apply(_live, first) + Apply(_live, tail) + Apply(_live, next));
        Assert.Equal(Content(_live), Content(_base));
        Assert.Equal("ok", IntegrityCheck(_base));
    }

    [Fact]
    public void Two_restarts_or_an_ended_generation_cut_by_journal_size_limit_lose_the_place()
    {
        var first = InsertAndRead(1, 2, 3);
        Restart();
        Restart();
        Assert.Contains("restarted", Assert.IsType<WalRead.LostPlace>(WriteAheadLog.ReadCommitted(_live, first.Next)).Reason, StringComparison.Ordinal);

        var second = InsertAndRead(10, 11, 12);
        Insert(13, _pageSize * PagesPerLargeRow);
        // Cut inside the large row's frames, past the position: what is left of the ended generation reads whole.
        _writer.Execute($"PRAGMA journal_size_limit = {new FileInfo(_live + "-wal").Length - _pageSize};");
        Restart();
        Assert.Contains("restarted", Assert.IsType<WalRead.LostPlace>(WriteAheadLog.ReadCommitted(_live, second.Next)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wal_removed_when_the_writer_closed_is_lost_place_for_a_position_and_nothing_without_one()
    {
        Insert(1, 10);
        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from: null));
        // The last connection to close checkpoints everything and deletes the WAL.
        _writer.Dispose();
        Assert.False(File.Exists(_live + "-wal"), "closing the only connection should have removed the WAL");

        Assert.IsType<WalRead.LostPlace>(WriteAheadLog.ReadCommitted(_live, read.Next));
        var none = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from: null));
        Assert.Null(none.Next);
        Assert.Equal(0, none.Length);
    }

    [Fact]
    public void A_garbled_last_frame_is_not_returned()
    {
        Insert(1, 10);
        var afterFirst = Content(_live);
        Insert(2, 20);
        var copy = CopyOfLiveWal("garbled.db");
        var whole = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(copy, from: null));
        using (var wal = new FileStream(copy + "-wal", FileMode.Open, FileAccess.ReadWrite))
        {
            // One byte of the last frame's page: only SQLite's checksum can tell.
            wal.Position = whole.Offset + whole.Length - 1;
            var last = wal.ReadByte();
            wal.Position--;
            wal.WriteByte((byte)(last ^ 0xFF));
        }

        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(copy, from: null));
        Assert.Equal(whole.Commits.Take(1), read.Commits);
        Assert.Equal(1, Apply(copy, read));
        Assert.Equal(afterFirst, Content(_base));
    }

    [Fact]
    public void A_transaction_cut_before_its_commit_frame_is_not_returned()
    {
        Insert(1, 10);
        var afterFirst = Content(_live);
        var first = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from: null));
        Insert(2, _pageSize * PagesPerLargeRow);
        var copy = CopyOfLiveWal("cut.db");
        using (var wal = new FileStream(copy + "-wal", FileMode.Open, FileAccess.ReadWrite))
        {
            // The large row's first frame stays whole, its commit frame is gone: as if the writer were killed mid-transaction.
            wal.SetLength(first.Offset + first.Length + WriteAheadLog.FrameHeaderBytes + _pageSize);
        }

        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(copy, from: null));
        Assert.Equal(first.Next, read.Next);
        Assert.Equal(1, Apply(copy, read));
        Assert.Equal(afterFirst, Content(_base));
        Assert.Equal("ok", IntegrityCheck(_base));
    }

    [Fact]
    public void Frames_that_end_inside_a_transaction_are_refused()
    {
        Insert(1, _pageSize * PagesPerLargeRow);
        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from: null));
        var wal = HeaderAndFrames(_live, read);

        using var cut = new MemoryStream(wal, 0, WriteAheadLog.HeaderBytes + WriteAheadLog.FrameHeaderBytes + _pageSize);
        Assert.Throws<InvalidDataException>(() => WriteAheadLog.Apply(_base, cut));
    }

    public void Dispose()
    {
        _writer.Dispose();
        _dir.Dispose();
    }

    /// <summary>Small rows, one commit each, read from the WAL's current generation up to the last.</summary>
    private WalRead.Committed InsertAndRead(params int[] ids)
    {
        var from = WriteAheadLog.ReadCommitted(_live, null) is WalRead.Committed { Next: { } next } ? next with { Frames = 0 } : (WalPosition?)null;
        foreach (var id in ids)
        {
            Insert(id, 10);
        }

        return Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(_live, from));
    }

    /// <summary>As the web app's checkpoint does: every frame copied, then the next write starts a generation, one small commit.</summary>
    private void Restart()
    {
        _writer.Execute("PRAGMA wal_checkpoint(PASSIVE);");
        _writer.Execute("INSERT INTO rows (body) VALUES (x'00');");
    }

    private void Insert(int id, int bytes) =>
        _writer.Execute("INSERT INTO rows (id, body) VALUES (@id, randomblob(@bytes));", new { id, bytes });

    /// <summary>The live WAL under another database name (the writer keeps it open, so it is copied, never closed and checkpointed).</summary>
    private string CopyOfLiveWal(string name)
    {
        var copy = _dir.File(name);
        File.Copy(_live + "-wal", copy + "-wal");
        return copy;
    }

    private int Apply(string walOf, WalRead.Committed read, int commits = int.MaxValue)
    {
        using var wal = new MemoryStream(HeaderAndFrames(walOf, read));
        return WriteAheadLog.Apply(_base, wal, commits);
    }

    /// <summary>What a segment carries after its commit times: the WAL's header, then the frames read.</summary>
    private static byte[] HeaderAndFrames(string walOf, WalRead.Committed read)
    {
        using var wal = new FileStream(walOf + "-wal", FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[WriteAheadLog.HeaderBytes + read.Length];
        wal.ReadExactly(bytes, 0, WriteAheadLog.HeaderBytes);
        wal.Position = read.Offset;
        wal.ReadExactly(bytes, WriteAheadLog.HeaderBytes, (int)read.Length);
        return bytes;
    }

    private static string Content(string path)
    {
        using var connection = Open(path, SqliteOpenMode.ReadWrite);
        return string.Join(";", connection.Query<string>("SELECT id || ':' || hex(body) FROM rows ORDER BY id;"));
    }

    private static string IntegrityCheck(string path)
    {
        using var connection = Open(path, SqliteOpenMode.ReadWrite);
        return string.Join("; ", connection.Query<string>("PRAGMA integrity_check;"));
    }

    private static SqliteConnection Open(string path, SqliteOpenMode mode)
    {
        var connection = new SqliteConnection(SqliteDatabase.ConnectionString(path, mode));
        connection.Open();
        return connection;
    }
}
