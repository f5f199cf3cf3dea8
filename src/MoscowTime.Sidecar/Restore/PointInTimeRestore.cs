using System.Globalization;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Restore;

/// <summary>
/// <c>restore --as-of &lt;UTC instant&gt; --output &lt;file&gt;</c>: the database as it was at an instant of the
/// window, from the store alone, written to a new file (never the live database) for an operator to inspect or put back.
/// </summary>
public sealed partial class PointInTimeRestore(IOptions<BackupOptions> options, IOptions<RemoteOptions> remoteOptions, TimeProvider time,
    ILogger<PointInTimeRestore> logger, RemoteHistory? remote = null)
{
    /// <summary>Seconds with any fractional precision, or none; UTC only, as <c>date -u</c> and the backup names show it.</summary>
    private const string InstantFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    public static DateTimeOffset? ParseInstant(string text) =>
        DateTimeOffset.TryParseExact(text, InstantFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant) ? instant : null;

    /// <returns>The process exit code.</returns>
    public async Task<int> RunAsync(string asOfText, string? output, CancellationToken cancellationToken = default)
    {
        if (ParseInstant(asOfText) is not { } asOf)
        {
            return Refuse($"--as-of {asOfText} is not a UTC instant such as 2026-12-04T13:00:05Z or 2026-12-04T13:00:05.250Z");
        }

        if (string.IsNullOrWhiteSpace(output))
        {
            return Refuse("--as-of needs --output <file>: the live database is never overwritten");
        }

        var target = Path.GetFullPath(output);
        if (target == Path.GetFullPath(options.Value.DatabasePath) || File.Exists(target))
        {
            return Refuse($"--output {target} exists or is the live database; name a new file");
        }

        if (remote is null)
        {
            return Refuse("--as-of restores from the store, and Backup:Remote:Url is not set");
        }

        try
        {
            var chains = await remote.ListAsync(cancellationToken);
            var now = time.GetUtcNow();
            if (chains.Count == 0)
            {
                return Refuse($"{remote.Location} holds nothing for this pod: nothing is restorable");
            }

            var first = chains[^1].Start > now - remoteOptions.Value.Window ? chains[^1].Start : now - remoteOptions.Value.Window;
            if (asOf < first || asOf > now)
            {
                return Refuse($"{Freshness.Utc(asOf)} is outside the window: restorable from {Freshness.Utc(first)} to {Freshness.Utc(LastShipped(chains[0]))}");
            }

            if (await remote.RestoreAsync(chains, Path.GetDirectoryName(target)!, asOf, cancellationToken) is not { } found)
            {
                return Refuse($"no snapshot in {remote.Location} up to {Freshness.Utc(asOf)} passes verification");
            }

            DurableFile.Publish(found.Path, target);
            var used = chains.First(c => c.Snapshot!.Name == found.Name);
            var newer = chains.LastOrDefault(c => c.Start > used.Start);
            var gap = found.Damaged is null && newer is not null && asOf > LastShipped(used)
                ? $"; {Freshness.Utc(asOf)} lies in an outage gap, nothing was shipped from {Freshness.Utc(LastShipped(used))} to {Freshness.Utc(newer.Start)}"
                : "";
            LogRestored(logger, target, found.Check.Visits, Freshness.Utc(found.Reached), gap);
            return DatabaseRestorer.Restored;
        }
        catch (RemoteUnavailableException ex)
        {
            return Refuse($"the store cannot be asked: {ex.Message}");
        }
    }

    /// <summary>The last commit a chain's unbroken segments hold; its snapshot's time when it has none.</summary>
    private static DateTimeOffset LastShipped(RemoteChain chain) => chain.Continuous() is [.., var last] ? last.Segment.LastCommit : chain.Start;

    private int Refuse(string why)
    {
        LogRefused(logger, why);
        return DatabaseRestorer.Failed;
    }

    [LoggerMessage(LogLevel.Information, "Restored {Output} ({Visits} visits): the newest transaction included is from {Newest}{Gap}")]
    private static partial void LogRestored(ILogger logger, string output, long? visits, string newest, string gap);

    [LoggerMessage(LogLevel.Error, "Restore --as-of refused: {Why}")]
    private static partial void LogRefused(ILogger logger, string why);
}
