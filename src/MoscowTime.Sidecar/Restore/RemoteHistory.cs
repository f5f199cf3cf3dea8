using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Restore;

/// <summary>
/// A restored, verified copy at <paramref name="Path"/>, holding every commit up to <paramref name="Reached"/>; the
/// caller places it and deletes it. <paramref name="Damaged"/> names the object that stopped it short, if one did.
/// </summary>
public sealed record RemoteCopy(string Name, string Path, DatabaseCheck Check, DateTimeOffset Reached, string? Damaged);

/// <summary>The store could not be asked (unreachable, 403, no bucket): one line naming the cause.</summary>
public sealed class RemoteUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// This pod's history in the object store (registered only when a remote is configured), rebuilt as of an instant:
/// the newest chain whose snapshot verifies, then its segments in order, each checked (SHA-256 against its metadata)
/// before it is applied, up to the first damaged one. Objects are streamed to files: memory is one buffer.
/// </summary>
public sealed partial class RemoteHistory(ObjectStore store, BackupCatalog catalog, ILogger<RemoteHistory> logger)
{
    public string Location => store.Location.ToString();

    /// <summary>This pod's chains, newest first; only those with a snapshot can be restored.</summary>
    /// <exception cref="RemoteUnavailableException">The store cannot be listed.</exception>
    public async Task<IReadOnlyList<RemoteChain>> ListAsync(CancellationToken cancellationToken) =>
        [.. RemoteChain.From(await AskAsync(async token => await store.ListAsync(token), cancellationToken), catalog).Where(c => c.Snapshot is not null)];

    /// <summary>The newest state of <paramref name="chains"/> that verifies (as of <paramref name="asOf"/>), restored under <paramref name="directory"/>.</summary>
    /// <param name="chains">As <see cref="ListAsync"/> gave them; those starting after <paramref name="asOf"/> are passed over.</param>
    /// <returns>Null when there is no chain to restore, or every snapshot failed verification (each was logged).</returns>
    /// <exception cref="RemoteUnavailableException">An object cannot be fetched.</exception>
    public async Task<RemoteCopy?> RestoreAsync(IReadOnlyList<RemoteChain> chains, string directory, DateTimeOffset asOf, CancellationToken cancellationToken)
    {
        string? damaged = null;
        foreach (var chain in chains.Where(c => c.Start <= asOf))
        {
            var snapshot = chain.Snapshot!;
            Directory.CreateDirectory(directory);
            var copy = Path.Combine(directory, $".{snapshot.Name.Replace('/', '-')}.remote.tmp");
            try
            {
                var problem = await DownloadAsync(snapshot.Name, copy, cancellationToken);
                if (problem is null)
                {
                    var (reached, stoppedAt, verified) = await ApplySegmentsAsync(chain, copy, asOf, int.MaxValue, cancellationToken);
                    if (verified is { } count)
                    {
                        // The segment that failed may have left half a transaction in the copy: rebuild it without that one.
                        problem = await DownloadAsync(snapshot.Name, copy, cancellationToken);
                        (reached, _, _) = problem is null ? await ApplySegmentsAsync(chain, copy, asOf, count, cancellationToken) : (reached, null, null);
                    }

                    var check = problem is null ? DatabaseVerifier.Check(copy) : null;
                    if (check is { IsUsableBackup: true })
                    {
                        return new RemoteCopy(snapshot.Name, copy, check, reached, stoppedAt ?? damaged);
                    }

                    problem ??= check?.WhyNotUsable;
                }

                LogSkipped(logger, snapshot.Key, problem);
                damaged ??= snapshot.Key;
                DurableFile.TryDelete(copy);
            }
            catch
            {
                DurableFile.TryDelete(copy);
                throw;
            }
        }

        return null;
    }

    /// <summary>Applies the chain's segments onto its snapshot up to the first one that is damaged or missing.</summary>
    /// <param name="limit">How many segments to apply at most: the ones before one that failed while being applied.</param>
    /// <returns>
    /// The time of the last commit applied (the snapshot's when none), the object it stopped at, if any, and when that
    /// one failed while being applied, how many segments before it verified.
    /// </returns>
    private async Task<(DateTimeOffset Reached, string? StoppedAt, int? Verified)> ApplySegmentsAsync(RemoteChain chain, string copy,
        DateTimeOffset asOf, int limit, CancellationToken cancellationToken)
    {
        var reached = chain.Start;
        var path = chain.Continuous();
        var body = copy + ".segment";
        try
        {
            var applied = 0;
            foreach (var stored in path.Where(s => s.Segment.FirstCommit <= asOf).Take(limit))
            {
                int? verified = null;
                var problem = await DownloadAsync(stored.Stored.Name, body, cancellationToken);
                if (problem is null)
                {
                    try
                    {
                        await using var stream = new FileStream(body, FileMode.Open, FileAccess.Read, FileShare.None);
                        reached = ShippedSegment.ApplyBody(copy, stream, asOf) ?? reached;
                        applied++;
                        continue;
                    }
                    catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
                    {
                        (problem, verified) = (ex.Message, applied);
                    }
                }

                LogStopped(logger, reached, stored.Stored.Key, problem);
                return (reached, stored.Stored.Key, verified);
            }

            var end = path.Count == 0 ? 0 : path[^1].Segment.To;
            if (limit == int.MaxValue && chain.Segments.FirstOrDefault(s => s.Segment.From > end && s.Segment.FirstCommit <= asOf) is { } after)
            {
                var missing = $"{store.Location}{chain.Folder}/ frames {end} to {after.Segment.From}";
                LogStopped(logger, reached, missing, "no segment holds them");
                return (reached, missing, null);
            }

            return (reached, null, null);
        }
        finally
        {
            DurableFile.TryDelete(body);
        }
    }

    /// <returns>Why the downloaded object is not what was shipped; null when its SHA-256 matches its metadata.</returns>
    private Task<string?> DownloadAsync(string name, string path, CancellationToken cancellationToken) =>
        AskAsync(async token => await store.DownloadAsync(name, path, token), cancellationToken);

    private async Task<T> AskAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await store.Retrying.ExecuteAsync(call, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RemoteUnavailableException(store.Describe(ex), ex);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Skipping remote backup {Key}: {Problem}")]
    private static partial void LogSkipped(ILogger logger, string key, string? problem);

    [LoggerMessage(LogLevel.Critical, "Restore ends at {Reached:O}, the last verified commit: {Key} is damaged or missing ({Problem}); the commits after it are not restored")]
    private static partial void LogStopped(ILogger logger, DateTimeOffset reached, string key, string? problem);
}
