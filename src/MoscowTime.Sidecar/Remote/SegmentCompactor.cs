using MoscowTime.Sidecar.Files;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Retention and compaction (docs/design.md, "Continuous shipping"), from one listing: each chain whose next newer one starts
/// before now − Backup:Remote:Window deleted; then each kept chain's consecutive segments of an ended hour merged into
/// segments of up to <see cref="MergedBytes"/>, every commit time kept; the parts go on the next pass. Started right after
/// a shipment, at most once per <see cref="CompactEvery"/>, on a task of its own: an hour's downloads must not hold up shipping.
/// </summary>
public sealed partial class SegmentCompactor(ObjectStore store, ShippedObjects objects, IOptions<RemoteOptions> options, ShippingState state,
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
            var now = time.GetUtcNow();
            var chains = await objects.ListAsync(store.Retrying, cancellationToken);
            var kept = chains.TakeWhile((_, i) => i == 0 || chains[i - 1].Start >= now - options.Value.Window).ToList();
            foreach (var expired in chains.Skip(kept.Count))
            {
                foreach (var stored in expired.Segments.Select(s => s.Stored).Prepend(expired.Snapshot).OfType<RemoteObject>())
                {
                    await store.Retrying.ExecuteAsync(async token => await store.DeleteAsync(stored.Name, token), cancellationToken);
                }

                LogPruned(logger, expired.Snapshot?.Name ?? expired.Folder, options.Value.Window);
            }

            state.Update(s => s with { FirstRecoverable = kept.Count > 0 ? kept[^1].Start : null });
            var thisHour = HourOf(now);
            foreach (var chain in kept.Where(c => c.Snapshot is not null))
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

    [LoggerMessage(LogLevel.Information, "Deleted chain {Chain}: a newer chain covers Backup:Remote:Window ({Window})")]
    private static partial void LogPruned(ILogger logger, string chain, TimeSpan window);

    [LoggerMessage(LogLevel.Warning, "Compaction skips {What}: {Reason}. The next pass tries again")]
    private static partial void LogSkipped(ILogger logger, string what, string reason);
}
