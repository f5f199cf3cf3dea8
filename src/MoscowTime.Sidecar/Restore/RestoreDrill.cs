using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Restore;

/// <summary>
/// Proves the store's copy restores: at start and every <c>Backup:Remote:DrillInterval</c>, the newest shipped state,
/// from the store alone (never the local backups), into a file under the temp directory; integrity_check, schema, and a
/// visit count not above the live one. Reads only: the store gets no write request from here.
/// </summary>
public sealed partial class RestoreDrill(RemoteHistory history, DrillStatus status, IOptions<RemoteOptions> remote,
    IOptions<BackupOptions> options, ShippingState shipping, TimeProvider time, ILogger<RestoreDrill> logger) : BackgroundService
{
    /// <summary>How often the first drill looks whether the shipper has a chain in the store yet.</summary>
    private static readonly TimeSpan FirstDrillPoll = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first drill waits for the shipper's chain to be in the store: before, it could only fail, and it would add
        // its requests to a store that is refusing or failing the sidecar's own.
        while (shipping.Status.Chain is null)
        {
            await Task.Delay(FirstDrillPoll, time, stoppingToken);
        }

        using var timer = new PeriodicTimer(remote.Value.DrillInterval, time);
        do
        {
            await RunOnceAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var directory = Path.Combine(Path.GetTempPath(), $"moscow-time-drill-{Guid.NewGuid():N}");
        var last = status.Last;
        var note = Path.Combine(options.Value.Directory, DatabaseRestorer.DamagedNote);
        IReadOnlyList<string> noted = File.Exists(note) ? [File.ReadAllText(note).Trim()] : [];
        string? problem;
        try
        {
            // Shipped chains only: whole copies of earlier versions still restore, but prove nothing about shipping.
            var chains = (await history.ListAsync(cancellationToken)).Where(c => c.Folder.Length > 0).ToList();
            if (await history.RestoreAsync(chains, directory, DateTimeOffset.MaxValue, cancellationToken) is { } found)
            {
                var live = DatabaseVerifier.Check(options.Value.DatabasePath).Visits;
                problem = found.Check.Visits > live ? $"the restored copy holds {found.Check.Visits} visits, more than the live database's {live}" : null;
                if (problem is null)
                {
                    status.Last = last with
                    {
                        LastSuccess = time.GetUtcNow(),
                        LastDuration = time.GetElapsedTime(started),
                        Reached = found.Reached,
                        Damaged = found.Damaged is { } damaged ? [damaged, .. noted] : noted,
                    };
                    LogSucceeded(logger, found.Reached, found.Check.Visits, time.GetElapsedTime(started).TotalSeconds);
                    return;
                }
            }
            else
            {
                problem = chains.Count > 0 ? $"none of the {chains.Count} snapshots in {history.Location} verifies"
                    : $"{history.Location} holds no shipped chain yet";
            }
        }
        catch (Exception ex) when (ex is RemoteUnavailableException or IOException or UnauthorizedAccessException)
        {
            problem = ex.Message;
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        status.Last = last with { LastError = problem, LastErrorAt = time.GetUtcNow(), Damaged = noted };
        LogFailed(logger, problem);
    }

    [LoggerMessage(LogLevel.Information, "Restore drill: the store restores to {Reached:O} ({Visits} visits) in {Seconds:F1} s")]
    private static partial void LogSucceeded(ILogger logger, DateTimeOffset reached, long? visits, double seconds);

    [LoggerMessage(LogLevel.Error, "Restore drill failed: {Problem}")]
    private static partial void LogFailed(ILogger logger, string? problem);
}
