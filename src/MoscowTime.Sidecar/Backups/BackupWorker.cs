namespace MoscowTime.Sidecar.Backups;

/// <summary>The backup loop: a pass at start, every <see cref="BackupOptions.Interval"/>, and on SIGTERM once the web app stopped writing.</summary>
/// <remarks>
/// SIGTERM lets a backup in progress finish (10 MiB copy in well under a second), then the final pass
/// runs. Only the host's shutdown timeout cancels the attempt in hand, which deletes its temporary file.
/// </remarks>
public sealed partial class BackupWorker(BackupCycle cycle, IOptions<BackupOptions> options, TimeProvider time, ILogger<BackupWorker> logger)
    : BackgroundService
{
    private readonly CancellationTokenSource _abandon = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var abandon = _abandon.Token;
        var interval = options.Value.Interval;
        LogStarted(logger, options.Value.DatabasePath, options.Value.Directory, interval, options.Value.Retain);
        cycle.Start();
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                // The pass blocks on SQLite and fsync: it gets a pool thread of its own rather than
                // running inline on whichever thread fired the timer (a fake clock's Advance, in tests).
                await Task.Run(() => cycle.RunAsync(abandon), CancellationToken.None);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // SIGTERM between passes, or after the pass in hand finished: go on to the final one.
        }

        try
        {
            abandon.ThrowIfCancellationRequested();
            LogFinalPass(logger, options.Value.FinalBackupQuietPeriod);
            await cycle.WaitForQuietAsync(abandon);
            await Task.Run(() => cycle.RunAsync(abandon), CancellationToken.None);
        }
        catch (OperationCanceledException) when (abandon.IsCancellationRequested)
        {
            LogNoFinalBackup(logger);
        }
    }

    /// <param name="cancellationToken">Fires when the host's shutdown timeout has run out.</param>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await using var registration = cancellationToken.Register(_abandon.Cancel);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }

    [LoggerMessage(LogLevel.Information, "Backing up {Database} into {Directory} every {Interval}, keeping {Retain}")]
    private static partial void LogStarted(ILogger logger, string database, string directory, TimeSpan interval, int retain);

    [LoggerMessage(LogLevel.Information, "Stopping: final backup once the database has been quiet for {QuietPeriod}")]
    private static partial void LogFinalPass(ILogger logger, TimeSpan quietPeriod);

    [LoggerMessage(LogLevel.Warning, "Stopping without a final backup: the shutdown timeout ran out; no partial file is left")]
    private static partial void LogNoFinalBackup(ILogger logger);
}
