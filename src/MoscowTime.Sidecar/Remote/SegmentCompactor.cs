using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Compaction (docs/design.md, "Continuous shipping"): each chain's consecutive segments of an ended hour merged into
/// segments of up to <see cref="MergedBytes"/>, every commit time kept; the parts go on the next pass. Started right after
/// a shipment, at most once per <see cref="CompactEvery"/>, on a task of its own: an hour's downloads must not hold up shipping.
/// </summary>
public sealed partial class SegmentCompactor(ObjectStore store, ShippedObjects objects, BackupCatalog catalog, ShippingState state,
    TimeProvider time, ILogger<SegmentCompactor> logger)
{
    public static readonly TimeSpan CompactEvery = TimeSpan.FromHours(1);

    /// <summary>What one segment may reach already, so that restore's scratch space and this pass's memory stay as they are.</summary>
    public const long MergedBytes = 2 * 1024 * 1024;

    /// <summary>Writes stop this long after the newest shipment: an idle pod sends nothing from a minute after its last commit.</summary>
    private static readonly TimeSpan WritesAfterShipment = TimeSpan.FromSeconds(30);

    private DateTimeOffset? _startedAt;

    /// <summary>The pass under way, if any; it never throws.</summary>
    public Task Running { get; private set; } = Task.CompletedTask;

    /// <summary>Only while something is being shipped: what is left waits for the next pass.</summary>
    private bool WritesAllowed => state.Status.LastShippedTime > time.GetUtcNow() - WritesAfterShipment;

    public void StartIfDue(CancellationToken cancellationToken)
    {
        if (Running.IsCompleted && !(time.GetUtcNow() - _startedAt < CompactEvery) && !cancellationToken.IsCancellationRequested)
        {
            _startedAt = time.GetUtcNow();
            Running = Task.Run(() => CompactAsync(cancellationToken), CancellationToken.None);
        }
    }

    public async Task CompactAsync(CancellationToken cancellationToken)
    {
        try
        {
            var thisHour = HourOf(time.GetUtcNow());
            var listed = await store.Retrying.ExecuteAsync(async token => await store.ListAsync(token), cancellationToken);
            foreach (var chain in RemoteChain.From(listed, catalog).Where(c => c.Snapshot is not null))
            {
                var path = chain.Continuous();
                var (applied, end) = (path.ToHashSet(), path.Count == 0 ? 0 : path[^1].Segment.To);
                // What a longer segment holds, merged a pass ago: a restore that listed it before has had an hour to read it.
                foreach (var part in chain.Segments.Where(s => s.Segment.To <= end && !applied.Contains(s)).TakeWhile(_ => WritesAllowed))
                {
                    await store.Once.ExecuteAsync(async token => await store.DeleteAsync(part.Stored.Name, token), cancellationToken);
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
            // Stopping: an interrupted pass leaves nothing wrong.
        }
        catch (Exception ex)
        {
            LogSkipped(logger, "the rest of this pass", store.Describe(ex));
        }
    }

    private static DateTimeOffset HourOf(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    private async Task MergeAsync(string folder, List<StoredSegment> run, CancellationToken cancellationToken)
    {
        if (run.Count < 2)
        {
            return;
        }

        var (part, times) = (Path.Combine(Path.GetTempPath(), $"moscow-time-compacting-{Guid.NewGuid():N}.wal"), new List<DateTimeOffset>());
        using var frames = new MemoryStream();
        try
        {
            foreach (var stored in run)
            {
                if (await store.Retrying.ExecuteAsync(async token => await store.DownloadAsync(stored.Stored.Name, part, token), cancellationToken) is { } problem)
                {
                    // Merged, a damaged part would pass for verified: restore stops at it instead, and the drill says so.
                    LogSkipped(logger, stored.Stored.Key, problem);
                    return;
                }

                await using var body = File.OpenRead(part);
                ShippedSegment.AppendBody(body, times, frames);
            }

            var (first, last) = (run[0].Segment, run[^1].Segment);
            using var content = new MemoryStream();
            ShippedSegment.WriteTimes(content, times);
            frames.WriteTo(content);
            if (WritesAllowed)
            {
                var name = new ShippedSegment(first.From, last.To, last.End, first.FirstCommit, last.LastCommit).Name;
                await objects.PutConfirmedAsync(store.Once, $"{folder}/{name}", content, cancellationToken);
            }
        }
        finally
        {
            DurableFile.TryDelete(part);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Compaction skips {What}: {Reason}. The next pass tries again")]
    private static partial void LogSkipped(ILogger logger, string what, string reason);
}
