using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;
using MoscowTime.Storage;
using Polly;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Continuous shipping (docs/design.md, "Continuous shipping"): every Backup:Remote:SyncInterval, read the WAL after the
/// chain's place, time the new commits, send them as one segment, checkpoint, prune; a snapshot starts a chain when
/// there is none to continue. It runs on its own task, so a store that is slow or down never holds up a local backup:
/// the commits found meanwhile wait and go up together.
/// </summary>
/// <remarks>
/// Registered before the local backup worker, so the host stops it after that worker's final pass, which waits for the
/// web app's last commits: the stop then ships what is left, one attempt per request, within the grace period.
/// </remarks>
public sealed partial class WalShipper : BackgroundService
{
    /// <summary>Past this many frames the sidecar checkpoints what it shipped (1 MiB at 4 KiB pages); the web app's own bound is 512.</summary>
    public const int CheckpointFrames = 256;

    /// <summary>At most one listing for retention per this long: pruning is cheap to postpone, requests are not free.</summary>
    public static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    /// <summary>How often a snapshot is copied again when the WAL restarts during the copy, before the pass gives up.</summary>
    private const int SnapshotAttempts = 3;

    private readonly ObjectStore _store;
    private readonly BackupCatalog _catalog;
    private readonly RemoteOptions _options;
    private readonly string _database;
    private readonly SnapshotTaker _taker;
    private readonly BackupCatalog _snapshots;
    private readonly LiveDatabase _live;
    private readonly ShippingState _state;
    private readonly TimeProvider _time;
    private readonly ILogger<WalShipper> _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _once;
    private string? _reportedError;

    /// <summary>The chain being continued; null until one is found or started, and again once its place is lost.</summary>
    private (string Folder, DateTimeOffset Start)? _chain;
    private bool _listed;

    /// <summary>Where the store's copy ends: the WAL generation and frame (null: frame 0 of whatever WAL comes), and the chain's frame count.</summary>
    private WalPosition? _position;
    private long _frames;

    /// <summary>When each commit after the position was first seen: they wait here while the store is down.</summary>
    private readonly List<DateTimeOffset> _times = [];

    /// <summary>
    /// The database file's last write, once the sidecar's own checkpoint copied every frame up to the position: while no
    /// other checkpoint writes the file, the next WAL generation continues the chain (a restart after frames appended to
    /// the old one and checkpointed by the web app would not).
    /// </summary>
    private DateTime? _checkpointed;
    private DateTimeOffset? _prunedAt;

    public WalShipper(ObjectStore store, BackupCatalog catalog, IOptions<RemoteOptions> options, IOptions<BackupOptions> backup,
        ShippingState state, TimeProvider time, ILogger<WalShipper> logger)
    {
        (_store, _catalog, _options, _database, _state, _time, _logger) = (store, catalog, options.Value, backup.Value.DatabasePath, state, time, logger);
        // Snapshots are copied beside the backups under a name of their own, so the local loop neither lists nor prunes them.
        _snapshots = new BackupCatalog(backup.Value.Directory, "shipping.db");
        _taker = new SnapshotTaker(_snapshots, time);
        _live = new LiveDatabase(_database);
        _pipeline = Retries.Create(_options.AttemptTimeout, _options.RetryDelay, RemoteFailure.IsTransient, time, arguments =>
            LogRetrying(logger, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalMilliseconds, Describe(arguments.Outcome.Exception)));
        _once = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(_options.AttemptTimeout).Build();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogStarted(_logger, _state.Location, _options.Endpoint ?? "AWS S3", _options.SyncInterval, _options.Window);
        if (!string.IsNullOrWhiteSpace(_options.Retain))
        {
            LogRetainIgnored(_logger, _options.Retain);
        }

        using var timer = new PeriodicTimer(_options.SyncInterval, _time);
        try
        {
            do
            {
                // Blocking file reads and a snapshot's copy: a pool thread of its own, not a fake clock's Advance.
                await Task.Run(() => PassAsync(_pipeline, stoppingToken), CancellationToken.None);
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
        try
        {
            await PassAsync(_once, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogNoFinalPass(_logger);
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
            if (_reportedError is not null && _state.Status.LastError is null)
            {
                LogRecovered(_logger, _state.Location);
                _reportedError = null;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var reason = Describe(ex);
            _state.Update(s => s with { LastError = reason, LastErrorAt = _time.GetUtcNow(), Failures = s.Failures + 1 });
            if (reason != _reportedError)
            {
                LogFailed(_logger, reason);
                _reportedError = reason;
            }
        }
    }

    private string Describe(Exception? exception) => RemoteFailure.Describe(exception, _options, _store.Location);

    [LoggerMessage(LogLevel.Information, "Shipping every commit to {Location} ({Endpoint}) within {SyncInterval}, restorable for {Window}")]
    private static partial void LogStarted(ILogger logger, string location, string endpoint, TimeSpan syncInterval, TimeSpan window);

    [LoggerMessage(LogLevel.Warning, "Backup:Remote:Retain ({Retain}) is ignored; Backup:Remote:Window replaces it")]
    private static partial void LogRetainIgnored(ILogger logger, string retain);

    [LoggerMessage(LogLevel.Warning, "Shipping attempt {Attempt} follows in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string reason);

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
            _state.Update(s => s with { WaitingSince = null });
            return;
        }

        if (_chain is null)
        {
            _state.Update(s => s with { WaitingSince = s.WaitingSince ?? _time.GetUtcNow() });
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

        var now = _time.GetUtcNow();
        var read = WriteAheadLog.ReadCommitted(_database, _position);
        if (read is WalRead.LostPlace && _checkpointed == File.GetLastWriteTimeUtc(_database) && WriteAheadLog.ReadCommitted(_database, null) is WalRead.Committed
            { Next: { } next } && next.Salt1 == _position!.Value.Salt1 + 1)
        {
            _position = next with { Frames = 0 };
            read = WriteAheadLog.ReadCommitted(_database, _position);
        }

        if (read is not WalRead.Committed committed || committed.Commits.Count < _times.Count)
        {
            LogLostPlace(_logger, _chain.Value.Folder, (read as WalRead.LostPlace)?.Reason ?? "the WAL holds fewer commits than were read");
            _chain = null;
            await ShipAsync(pipeline, cancellationToken);
            return;
        }

        _position ??= committed.Next is { } first ? first with { Frames = 0 } : null;
        for (var i = _times.Count; i < committed.Commits.Count; i++)
        {
            _times.Add(now);
        }

        if (_times.Count == 0)
        {
            _state.Update(s => s with { WaitingSince = null });
            return;
        }

        _state.Update(s => s with { WaitingSince = s.WaitingSince ?? _times[0] });
        if (now - _chain.Value.Start >= _options.SnapshotInterval)
        {
            await SnapshotAsync(pipeline, cancellationToken);
            return;
        }

        await ShipSegmentAsync(pipeline, committed, cancellationToken);
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
        await PutConfirmedAsync(pipeline, name, body, cancellationToken);
        if (WriteAheadLog.ReadCommitted(_database, read.Next) is WalRead.LostPlace lost)
        {
            // The WAL may have restarted while the body was read: what was sent cannot be trusted.
            await TryDeleteAsync(name);
            LogLostPlace(_logger, folder, lost.Reason);
            _chain = null;
            return;
        }

        (_position, _frames, _checkpointed) = (read.Next, segment.To, null);
        _times.Clear();
        Confirmed(name, segment.LastCommit);
        Checkpoint();
        await PruneIfDueAsync(pipeline, cancellationToken);
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
            var outcome = await _taker.TakeAsync(_live, sameAs: null, cancellationToken);
            if (outcome is not BackupOutcome.Kept kept)
            {
                _state.Update(s => s with { WaitingSince = null });
                return;
            }

            try
            {
                if (Generation() != before)
                {
                    continue;
                }

                var name = RemoteChain.SnapshotFor(kept.SnapshotAt);
                await using (var file = File.OpenRead(kept.File.Path))
                {
                    await PutConfirmedAsync(pipeline, name, file, cancellationToken);
                }

                _chain = (RemoteChain.FolderFor(kept.SnapshotAt), kept.SnapshotAt);
                (_position, _frames, _checkpointed) = (before, 0, null);
                _times.Clear();
                Confirmed(name, kept.SnapshotAt);
                LogStartedChain(_logger, name, kept.File.Size);
            }
            finally
            {
                DurableFile.TryDelete(kept.File.Path);
            }

            await PruneIfDueAsync(pipeline, cancellationToken);
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
        var chains = await ListAsync(pipeline, cancellationToken);
        _listed = true;
        if (chains.FirstOrDefault(c => c.Snapshot is not null) is { Folder.Length: > 0 } chain && chain.Continuous() is [.., var last]
            && WriteAheadLog.ReadCommitted(_database, last.Segment.End) is WalRead.Committed)
        {
            _chain = (chain.Folder, chain.Start);
            (_position, _frames) = (last.Segment.End, last.Segment.To);
            _state.Update(s => s with { Chain = chain.Folder, LastObject = last.Stored.Name, LastShippedTime = last.Segment.LastCommit });
            LogResumed(_logger, chain.Folder, last.Segment.To);
        }
    }

    /// <summary>After the sidecar's own shipping, a checkpoint that never waits: it keeps the WAL short, and when it copied exactly what was shipped, the next WAL generation continues the chain.</summary>
    private void Checkpoint()
    {
        if (_position is not { Frames: >= CheckpointFrames } position
            || WriteAheadLog.ReadCommitted(_database, position) is not WalRead.Committed { Length: 0 })
        {
            // Commits came meanwhile: the next pass ships them first.
            return;
        }

        try
        {
            _checkpointed = WalCheckpoint.Passive(_database) is { } done && done.Frames == position.Frames && done.Backfilled == done.Frames
                ? File.GetLastWriteTimeUtc(_database)
                : null;
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LogCheckpointFailed(_logger, _database, ex.Message);
        }
    }

    /// <summary>At most once per <see cref="PruneEvery"/>: deletes each chain whose next newer one starts before now − Window.</summary>
    private async Task PruneIfDueAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (now - _prunedAt < PruneEvery)
        {
            return;
        }

        _prunedAt = now;
        try
        {
            var chains = await ListAsync(pipeline, cancellationToken);
            var cutoff = now - _options.Window;
            var kept = chains.TakeWhile((_, i) => i == 0 || chains[i - 1].Start >= cutoff).ToList();
            foreach (var expired in chains.Skip(kept.Count))
            {
                foreach (var stored in expired.Segments.Select(s => s.Stored).Prepend(expired.Snapshot).OfType<RemoteObject>())
                {
                    await pipeline.ExecuteAsync(async token => await _store.DeleteAsync(stored.Name, token), cancellationToken);
                }

                LogPruned(_logger, expired.Snapshot?.Name ?? expired.Folder, _options.Window);
            }

            _state.Update(s => s with { FirstRecoverable = kept.Count > 0 ? kept[^1].Start : null });
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogPruneFailed(_logger, _store.Location.ToString(), Describe(ex));
        }
    }

    private async Task<IReadOnlyList<RemoteChain>> ListAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        var chains = RemoteChain.From(await pipeline.ExecuteAsync(async token => await _store.ListAsync(token), cancellationToken), _catalog);
        _state.Update(s => s with { FirstRecoverable = chains.Count > 0 ? chains[^1].Start : null });
        return chains;
    }

    private void Confirmed(string name, DateTimeOffset lastCommit) => _state.Update(s => s with
    {
        WaitingSince = null,
        Chain = _chain?.Folder,
        LastObject = name,
        LastShippedTime = lastCommit,
        LastError = null,
        LastErrorAt = null,
        Uploads = s.Uploads + 1,
    });

    /// <summary>Sends <paramref name="content"/> with its SHA-256 and Content-MD5, and confirms that the store holds exactly it.</summary>
    private async Task PutConfirmedAsync(ResiliencePipeline pipeline, string name, Stream content, CancellationToken cancellationToken)
    {
        var digests = ObjectStore.DigestsOf(content);
        // For a single-part PUT without SSE-KMS or SSE-C, AWS S3, MinIO, R2, Ceph RGW and s3rver make the ETag the MD5 of
        // the bytes they stored, so an ETag equal to ours says the store holds them, and halves the bytes moved. Any other
        // ETag proves nothing either way (an SSE-KMS object's is not an MD5): the full read-back decides.
        if (await pipeline.ExecuteAsync(async token => await _store.PutAsync(name, content, digests, token), cancellationToken))
        {
            return;
        }

        try
        {
            var (received, stored) = await pipeline.ExecuteAsync(async token => await _store.ReadBackAsync(name, token), cancellationToken);
            if (received != digests.Sha256 || stored != digests.Sha256)
            {
                throw new RemoteMismatchException(
                    $"{_store.Location}{name} does not read back as sent: SHA-256 {received} stored, {digests.Sha256} sent " +
                    "(the store altered the object, or did not decode the upload); deleted, sent again next pass");
            }
        }
        catch (RemoteMismatchException)
        {
            await TryDeleteAsync(name);
            throw;
        }
    }

    /// <summary>One attempt: restore skips a mismatched object anyway, its bytes do not match its recorded SHA-256.</summary>
    private async Task TryDeleteAsync(string name)
    {
        try
        {
            await _once.ExecuteAsync(async token => await _store.DeleteAsync(name, token), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogDeleteFailed(_logger, name, Describe(ex));
        }
    }

    [LoggerMessage(LogLevel.Information, "Started chain {Snapshot}: a verified snapshot of {Bytes} bytes")]
    private static partial void LogStartedChain(ILogger logger, string snapshot, long bytes);

    [LoggerMessage(LogLevel.Information, "Continuing chain {Chain} from frame {Frames}")]
    private static partial void LogResumed(ILogger logger, string chain, long frames);

    [LoggerMessage(LogLevel.Warning, "Chain {Chain} ends: {Reason}. A new chain starts from a snapshot")]
    private static partial void LogLostPlace(ILogger logger, string chain, string reason);

    [LoggerMessage(LogLevel.Warning, "Could not checkpoint {Database}: {Reason}. The web app's own checkpoint bounds the WAL")]
    private static partial void LogCheckpointFailed(ILogger logger, string database, string reason);

    [LoggerMessage(LogLevel.Information, "Deleted chain {Chain}: a newer chain covers Backup:Remote:Window ({Window})")]
    private static partial void LogPruned(ILogger logger, string chain, TimeSpan window);

    [LoggerMessage(LogLevel.Warning, "Could not prune {Location}: {Reason}. A later shipment tries again")]
    private static partial void LogPruneFailed(ILogger logger, string location, string reason);

    [LoggerMessage(LogLevel.Warning, "Could not delete the mismatched object {Name}: {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, string name, string reason);
}
