using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Compaction (docs/design.md, "Continuous shipping"): merges each chain's consecutive segments of an hour that has ended
/// into segments of up to <see cref="MergedBytes"/>, every commit's time kept, and deletes the parts a merge of an earlier
/// pass made redundant. Started right after a shipment, at most once per <see cref="CompactEvery"/>, on a task of its own:
/// an hour's downloads must not hold up shipping.
/// </summary>
public sealed partial class SegmentCompactor(ObjectStore store, ShippedObjects objects, BackupCatalog catalog, ShippingState state,
    TimeProvider time, ILogger<SegmentCompactor> logger)
{
    public static readonly TimeSpan CompactEvery = TimeSpan.FromHours(1);

    /// <summary>The most a merged segment holds: about what one segment may hold already, so restore's scratch space stays as it is.</summary>
    public const long MergedBytes = 2 * 1024 * 1024;

    /// <summary>Writes stop this long after the newest shipment: an idle pod sends nothing from a minute after its last commit.</summary>
    private static readonly TimeSpan WritesAfterShipment = TimeSpan.FromSeconds(30);

    private DateTimeOffset? _startedAt;

    /// <summary>The pass under way, if any; it never throws.</summary>
    public Task Running { get; private set; } = Task.CompletedTask;

    public void StartIfDue(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (Running.IsCompleted && !(now - _startedAt < CompactEvery) && !cancellationToken.IsCancellationRequested)
        {
            _startedAt = now;
            Running = Task.Run(() => CompactAsync(cancellationToken), CancellationToken.None);
        }
    }

    public async Task CompactAsync(CancellationToken cancellationToken)
    {
        try
        {
            var listed = await store.Retrying.ExecuteAsync(async token => await store.ListAsync(token), cancellationToken);
            var thisHour = HourOf(time.GetUtcNow());
            foreach (var chain in RemoteChain.From(listed, catalog).Where(c => c.Snapshot is not null))
            {
                var path = chain.Continuous();
                var applied = path.ToHashSet();
                var end = path.Count == 0 ? 0 : path[^1].Segment.To;
                // Parts a longer segment holds: merged at an earlier pass, so a restore that listed them before has had an hour.
                foreach (var redundant in chain.Segments.Where(s => s.Segment.To <= end && !applied.Contains(s)).TakeWhile(_ => WritesAllowed))
                {
                    await store.Once.ExecuteAsync(async token => await store.DeleteAsync(redundant.Stored.Name, token), cancellationToken);
                }

                var run = new List<StoredSegment>();
                foreach (var next in path.TakeWhile(s => HourOf(s.Segment.FirstCommit) < thisHour))
                {
                    if (run.Count > 0 && (HourOf(next.Segment.FirstCommit) != HourOf(run[0].Segment.FirstCommit)
                        || run.Sum(s => s.Stored.Size) + next.Stored.Size > MergedBytes))
                    {
                        await MergeAsync(chain.Folder, run, cancellationToken);
                        run = [];
                    }

                    run.Add(next);
                }

                await MergeAsync(chain.Folder, run, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: an interrupted pass leaves nothing wrong, the next one goes on.
        }
        catch (Exception ex)
        {
            LogFailed(logger, store.Describe(ex));
        }
    }

    /// <summary>Only while commits are being shipped; what is left waits for the next pass.</summary>
    private bool WritesAllowed => state.Status.LastShippedTime > time.GetUtcNow() - WritesAfterShipment;

    private static DateTimeOffset HourOf(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    /// <summary>Downloads and checks each part, then sends their merge, confirmed; the parts stay until the next pass.</summary>
    private async Task MergeAsync(string folder, List<StoredSegment> run, CancellationToken cancellationToken)
    {
        if (run.Count < 2)
        {
            return;
        }

        var part = Path.Combine(Path.GetTempPath(), $"moscow-time-compacting-{Guid.NewGuid():N}.wal");
        try
        {
            using var times = new MemoryStream();
            using var frames = new MemoryStream();
            var commits = 0;
            foreach (var stored in run)
            {
                var (received, recorded) = await store.Retrying.ExecuteAsync(async token => await store.DownloadAsync(stored.Stored.Name, part, token), cancellationToken);
                if (received != recorded)
                {
                    // Merged, a damaged part would pass for verified: restore stops at it, and the drill reports it.
                    LogDamagedPart(logger, stored.Stored.Key, received, recorded);
                    return;
                }

                await using var body = File.OpenRead(part);
                commits += stored.Segment.AppendBody(body, times, frames);
            }

            var merged = new ShippedSegment(run[0].Segment.From, run[^1].Segment.To, run[^1].Segment.End, run[0].Segment.FirstCommit, run[^1].Segment.LastCommit);
            using var content = new MemoryStream();
            ShippedSegment.WriteMerged(content, commits, times, frames);
            if (WritesAllowed)
            {
                await objects.PutConfirmedAsync(store.Once, $"{folder}/{merged.Name}", content, cancellationToken);
                LogMerged(logger, run.Count, $"{folder}/{merged.Name}");
            }
        }
        finally
        {
            DurableFile.TryDelete(part);
        }
    }

    [LoggerMessage(LogLevel.Information, "Merged {Parts} segments into {Name}")]
    private static partial void LogMerged(ILogger logger, int parts, string name);

    [LoggerMessage(LogLevel.Warning, "Not merging {Key}: its bytes have SHA-256 {Received}, its metadata says {Recorded}")]
    private static partial void LogDamagedPart(ILogger logger, string key, string received, string? recorded);

    [LoggerMessage(LogLevel.Warning, "Compaction stopped: {Reason}. The next pass goes on")]
    private static partial void LogFailed(ILogger logger, string reason);
}
