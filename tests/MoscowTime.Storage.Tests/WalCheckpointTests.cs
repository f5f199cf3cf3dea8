using System.Diagnostics;
using Dapper;
using Microsoft.Data.Sqlite;
using MoscowTime.Testing;

namespace MoscowTime.Storage.Tests;

/// <summary>The sidecar's passive checkpoint against the web app's own writer, on a real file.</summary>
public sealed class WalCheckpointTests : IDisposable
{
    /// <summary>Far below the writer's busy timeout (5 s): a checkpoint that waited for a lock would take that long.</summary>
    private static readonly TimeSpan Instant = TimeSpan.FromSeconds(1);

    private readonly TempDirectory _dir = new("checkpoint");
    private readonly SqliteConnection _writer;

    public WalCheckpointTests()
    {
        _writer = SqliteDatabase.OpenWriter(Database, create: true);
        Schema.Migrate(_writer);
        _writer.Execute("PRAGMA wal_checkpoint(TRUNCATE);");
    }

    private string Database => _dir.File("visits.db");

    [Fact]
    public void A_checkpoint_copies_every_committed_frame_and_the_next_write_restarts_the_WAL_with_salt1_one_higher()
    {
        Commit(3);
        var read = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(Database, null));

        WalCheckpoint.Passive(Database);

        Commit(1);
        var after = Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(Database, null));
        Assert.Equal(read.Next!.Value.Salt1 + 1, after.Next!.Value.Salt1);
        Assert.Equal(3 + 1, VisitQueries.Total(_writer));
    }

    [Fact]
    public void A_checkpoint_never_waits_for_or_blocks_a_writer_holding_a_transaction()
    {
        Commit(3);
        using var transaction = _writer.BeginTransaction();
        Databases.AddVisits(_writer, transaction, DateTimeOffset.UnixEpoch, 5);

        var started = Stopwatch.GetTimestamp();
        WalCheckpoint.Passive(Database);

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, Instant);
        transaction.Commit();
        Assert.Equal(3 + 5, VisitQueries.Total(_writer));
    }

    [Fact]
    public void A_reader_holding_a_snapshot_does_not_make_the_checkpoint_wait()
    {
        Commit(3);
        using var reader = new LiveDatabase(Database);
        using var snapshot = reader.BeginSnapshot()!.Value.Snapshot;
        Commit(4);

        var started = Stopwatch.GetTimestamp();
        WalCheckpoint.Passive(Database);

        Assert.InRange(Stopwatch.GetElapsedTime(started), TimeSpan.Zero, Instant);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _dir.Dispose();
    }

    private void Commit(long visits)
    {
        using var transaction = _writer.BeginTransaction();
        Databases.AddVisits(_writer, transaction, DateTimeOffset.UnixEpoch, visits);
        transaction.Commit();
    }
}
