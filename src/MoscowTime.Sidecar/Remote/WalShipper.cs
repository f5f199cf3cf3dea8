using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;
using Polly;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Continuous shipping (docs/design.md, "Continuous shipping"): every Backup:Remote:SyncInterval, read the WAL after the
/// chain's place, time the new commits, send them as one segment, checkpoint, prune and compact; a snapshot starts a chain when
/// there is none to continue. On its own task, so a slow or down store never holds up a local backup: commits wait and
/// go up together. Stopped after the local worker's final pass, it ships what is left, one attempt per request.
/// </summary>
public sealed partial class WalShipper(ObjectStore store, ShippedObjects objects, SegmentCompactor compactor, IOptions<RemoteOptions> remote, IOptions<BackupOptions> backup,
    ShippingState state, TimeProvider time, ILogger<WalShipper> logger) : BackgroundService
{
    /// <summary>Past this many frames the sidecar checkpoints what it shipped (1 MiB at 4 KiB pages); the web app's own bound is 512.</summary>
    public const int CheckpointFrames = 256;

    /// <summary>How often a snapshot is copied again when the WAL restarts during the copy, before the pass gives up.</summary>
    private const int SnapshotAttempts = 3;

    private readonly RemoteOptions _options = remote.Value;
    private readonly string _database = backup.Value.DatabasePath;

    /// <summary>Snapshots are copied beside the backups under a name of their own, so the local loop neither lists nor prunes them.</summary>
    private readonly BackupCatalog _snapshots = new(backup.Value.Directory, "shipping.db");
    private readonly LiveDatabase _live = new(backup.Value.DatabasePath);
    private string? _reportedError;

    /// <summary>The chain being continued; null until one is found or started, and again once its place is lost.</summary>
    private (string Folder, DateTimeOffset Start)? _chain;
    private bool _listed;

    /// <summary>Fires when the host stops: a compaction pass ends with the loop, not after the final shipment.</summary>
    private CancellationToken _stopping;

    /// <summary>Where the store's copy ends: the WAL generation and frame (null: frame 0 of whatever WAL comes), and the chain's frame count.</summary>
    private WalPosition? _position;
    private long _frames;

    /// <summary>When each commit after the position was first seen: they wait here while the store is down.</summary>
    private readonly List<DateTimeOffset> _times = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(logger, state.Location, _options.Endpoint ?? "AWS S3", _options.SyncInterval, _options.Window);
        if (!string.IsNullOrWhiteSpace(_options.Retain))
        {
            LogRetainIgnored(logger, _options.Retain);
        }

        _stopping = stoppingToken;
        using var timer = new PeriodicTimer(_options.SyncInterval, time);
        try
        {
            do
            {
                // Blocking file reads and a snapshot's copy: a pool thread of its own, not a fake clock's Advance.
                await Task.Run(() => PassAsync(store.Retrying, stoppingToken), CancellationToken.None);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the final pass follows in StopAsync.
        }
    }

    /// <param name="cancellationToken">Fires when the host's shutdown timeout has run out.</param>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await compactor.Running;
        try
        {
            await PassAsync(store.Once, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogNoFinalPass(logger);
        }
    }

    public override void Dispose()
    {
        _live.Dispose();
        base.Dispose();
    }

    private async Task PassAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        try
        {
            await ShipAsync(pipeline, cancellationToken);
            if (_reportedError is not null && state.Status.LastError is null)
            {
                LogRecovered(logger, state.Location);
                _reportedError = null;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var reason = store.Describe(ex);
            state.Update(s => s with { LastError = reason, LastErrorAt = time.GetUtcNow(), Failures = s.Failures + 1 });
            if (reason != _reportedError)
            {
                LogFailed(logger, reason);
                _reportedError = reason;
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Shipping every commit to {Location} ({Endpoint}) within {SyncInterval}, restorable for {Window}")]
    private static partial void LogStarted(ILogger logger, string location, string endpoint, TimeSpan syncInterval, TimeSpan window);

    [LoggerMessage(LogLevel.Warning, "Backup:Remote:Retain ({Retain}) is ignored; Backup:Remote:Window replaces it")]
    private static partial void LogRetainIgnored(ILogger logger, string retain);

    [LoggerMessage(LogLevel.Error, "Shipping failed: {Reason}. Commits wait and go up with the next pass")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Shipping to {Location} works again")]
    private static partial void LogRecovered(ILogger logger, string location);

    [LoggerMessage(LogLevel.Warning, "Stopping without the final shipment: the shutdown timeout ran out; the next start ships it")]
    private static partial void LogNoFinalPass(ILogger logger);

    /// <param name="pipeline">How each request is retried: with backoff in the loop, one attempt at shutdown.</param>
    private async Task ShipAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        if (!File.Exists(_database))
        {
            // Nothing committed yet: the store lacks nothing.
            state.Update(s => s with { WaitingSince = null });
            return;
        }

        if (_chain is null)
        {
            state.Update(s => s with { WaitingSince = s.WaitingSince ?? time.GetUtcNow() });
            if (!_listed)
            {
                await ResumeAsync(pipeline, cancellationToken);
            }

            if (_chain is null)
            {
                await SnapshotAsync(pipeline, cancellationToken);
                return;
            }
        }

        var now = time.GetUtcNow();
        var read = WriteAheadLog.ReadCommitted(_database, _position);
        if (read is WalRead.Committed { Length: 0, Following: { } following })
        {
            // The ended generation is shipped to its last commit: the chain goes on from the next one's frame 0.
            _position = following;
            read = WriteAheadLog.ReadCommitted(_database, _position);
        }

        if (read is not WalRead.Committed committed || committed.Commits.Count < _times.Count)
        {
            LogLostPlace(logger, _chain.Value.Folder, (read as WalRead.LostPlace)?.Reason ?? "the WAL holds fewer commits than were read");
            _chain = null;
            await ShipAsync(pipeline, cancellationToken);
            return;
        }

        _position ??= committed.Next is { } first ? first with { Frames = 0 } : null;
        _times.AddRange(Enumerable.Repeat(now, committed.Commits.Count - _times.Count));

        if (_times.Count == 0)
        {
            state.Update(s => s with { WaitingSince = null });
            return;
        }

        state.Update(s => s with { WaitingSince = s.WaitingSince ?? _times[0] });
        if (now - _chain.Value.Start >= _options.SnapshotInterval)
        {
            await SnapshotAsync(pipeline, cancellationToken);
            return;
        }

        await ShipSegmentAsync(pipeline, committed, cancellationToken);
        if (committed.Following is not null && _chain is not null)
        {
            // That was the ended generation's tail: the next one's commits go up in the same pass.
            await ShipAsync(pipeline, cancellationToken);
        }
    }

    private async Task ShipSegmentAsync(ResiliencePipeline pipeline, WalRead.Committed read, CancellationToken cancellationToken)
    {
        var (folder, _) = _chain!.Value;
        var frames = read.Length / (WriteAheadLog.FrameHeaderBytes + read.PageSize);
        var segment = new ShippedSegment(_frames, _frames + frames, read.Next!.Value, _times[0], _times[^1]);
        var name = $"{folder}/{segment.Name}";
        // Bounded by the WAL's bound (512 frames and a transaction): frames a longer outage would add are checkpointed,
        // and the place is lost anyway.
        using var body = new MemoryStream();
        ShippedSegment.WriteBody(body, _database, read, _times);
        await objects.PutConfirmedAsync(pipeline, name, body, cancellationToken);
        if (WriteAheadLog.ReadCommitted(_database, _position) is WalRead.LostPlace lost)
        {
            // The WAL may have restarted and overwritten frames while the body was read: read from the segment's start
            // still, they were intact throughout (a generation's frames are overwritten from frame 0 up).
            await objects.TryDeleteAsync(name);
            LogLostPlace(logger, folder, lost.Reason);
            _chain = null;
            return;
        }

        (_position, _frames) = (read.Next, segment.To);
        _times.Clear();
        Confirmed(name, segment.LastCommit);
        Checkpoint();
        compactor.StartIfDue(_stopping);
    }

    /// <summary>
    /// Copies the database (a verified local snapshot), ships it as a new chain's start, and places the chain at frame 0
    /// of the WAL generation read before the copy: frames the copy holds already are replayed harmlessly.
    /// </summary>
    private async Task SnapshotAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_snapshots.Directory);
        for (var attempt = 1; attempt <= SnapshotAttempts; attempt++)
        {
            var before = Generation();
            var outcome = new SnapshotTaker(_snapshots, time).Take(_live, sameAs: null, cancellationToken);
            if (outcome is not BackupOutcome.Kept kept)
            {
                state.Update(s => s with { WaitingSince = null });
                return;
            }

            try
            {
                if (Generation() != before)
                {
                    continue;
                }

                var name = RemoteChain.SnapshotFor(kept.SnapshotAt, before);
                await using (var file = File.OpenRead(kept.File.Path))
                {
                    await objects.PutConfirmedAsync(pipeline, name, file, cancellationToken);
                }

                _chain = (RemoteChain.FolderFor(kept.SnapshotAt), kept.SnapshotAt);
                (_position, _frames) = (before, 0);
                _times.Clear();
                Confirmed(name, kept.SnapshotAt);
                LogStartedChain(logger, name, kept.File.Size);
            }
            finally
            {
                DurableFile.TryDelete(kept.File.Path);
            }

            compactor.StartIfDue(_stopping);
            return;
        }

        throw new BackupFailedException($"the WAL of {_database} restarted during each of {SnapshotAttempts} snapshot copies");
    }

    /// <summary>Frame 0 of the WAL's current generation; null when there is no WAL.</summary>
    private WalPosition? Generation() =>
        WriteAheadLog.ReadCommitted(_database, null) is WalRead.Committed { Next: { } next } ? next with { Frames = 0 } : null;

    /// <summary>A restarted sidecar: the newest chain with a snapshot, continued where its last segment ends if the WAL still holds that place.</summary>
    private async Task ResumeAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        var chains = await objects.ListAsync(pipeline, cancellationToken);
        _listed = true;
        if (chains.FirstOrDefault(c => c.Snapshot is not null) is not { Folder.Length: > 0 } chain)
        {
            return;
        }

        // Where the last segment ends; with none yet, frame 0 of the generation the snapshot was taken in.
        var last = chain.Continuous() is [.., var newest] ? newest : null;
        if ((last?.Segment.End ?? chain.Generation) is { } end && WriteAheadLog.ReadCommitted(_database, end) is WalRead.Committed)
        {
            _chain = (chain.Folder, chain.Start);
            (_position, _frames) = (end, last?.Segment.To ?? 0);
            state.Update(s => s with
            {
                Chain = chain.Folder,
                LastObject = last?.Stored.Name ?? chain.Snapshot!.Name,
                LastShippedTime = last?.Segment.LastCommit ?? chain.Start,
            });
            LogResumed(logger, chain.Folder, _frames);
        }
    }

    /// <summary>After the sidecar's own shipping, a checkpoint that never waits: it keeps the WAL short.</summary>
    private void Checkpoint()
    {
        if (_position is not { Frames: >= CheckpointFrames } position
            || WriteAheadLog.ReadCommitted(_database, position) is not WalRead.Committed { Length: 0, Following: null })
        {
            // Commits came meanwhile, or the WAL restarted: the next pass ships them first.
            return;
        }

        try
        {
            WalCheckpoint.Passive(_database);
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LogCheckpointFailed(logger, _database, ex.Message);
        }
    }

    private void Confirmed(string name, DateTimeOffset lastCommit) => state.Update(s => s with
    {
        WaitingSince = null,
        Chain = _chain?.Folder,
        LastObject = name,
        LastShippedTime = lastCommit,
        LastError = null,
        LastErrorAt = null,
        Uploads = s.Uploads + 1,
    });

    [LoggerMessage(LogLevel.Information, "Started chain {Snapshot}: a verified snapshot of {Bytes} bytes")]
    private static partial void LogStartedChain(ILogger logger, string snapshot, long bytes);

    [LoggerMessage(LogLevel.Information, "Continuing chain {Chain} from frame {Frames}")]
    private static partial void LogResumed(ILogger logger, string chain, long frames);

    [LoggerMessage(LogLevel.Warning, "Chain {Chain} ends: {Reason}. A new chain starts from a snapshot")]
    private static partial void LogLostPlace(ILogger logger, string chain, string reason);

    [LoggerMessage(LogLevel.Warning, "Could not checkpoint {Database}: {Reason}. The web app's own checkpoint bounds the WAL")]
    private static partial void LogCheckpointFailed(ILogger logger, string database, string reason);
}
