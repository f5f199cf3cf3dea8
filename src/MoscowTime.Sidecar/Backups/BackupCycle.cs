using Microsoft.Data.Sqlite;
using MoscowTime.Storage;
using Polly;
using Polly.Timeout;
using SQLitePCL;

namespace MoscowTime.Sidecar.Backups;

/// <summary>One pass of the backup loop: check the directory, back up if the database changed since the newest backup, prune, and record the outcome for /healthz and /metrics. Used by one thread only.</summary>
public sealed partial class BackupCycle(IOptions<BackupOptions> options, BackupCatalog catalog, LiveDatabase live, SnapshotTaker taker,
    BackupState state, TimeProvider time, ILogger<BackupCycle> logger)
{
    /// <summary>The first pause before a retry: a lock the web app holds for one commit is gone by then.</summary>
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>How often the final pass looks for the web app's last commits, at most.</summary>
    private static readonly TimeSpan QuietPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>The final pass waits at most this many quiet periods for the database to settle.</summary>
    private const int MaxQuietPeriods = 10;

    private readonly BackupOptions _options = options.Value;

    /// <summary>The database version the newest backup holds, as this process knows it.</summary>
    private DatabaseVersion? _backedUp;
    private string? _reportedError;

    /// <summary>Built on first use: its retry log describes failures with this instance's paths.</summary>
    private ResiliencePipeline Pipeline => field ??= Retries.Create(_options.AttemptTimeout, FirstRetryDelay, IsTransient, time, arguments =>
        LogRetrying(logger, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalMilliseconds, Describe(arguments.Outcome.Exception)));

    /// <summary>Clears what a killed predecessor left half-written and learns what is already kept.</summary>
    public void Start()
    {
        try
        {
            foreach (var name in catalog.RemoveTemporaries())
            {
                LogRemovedTemporary(logger, name, catalog.Directory);
            }

            state.Found(catalog.List());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The first pass reports the directory's problem through /healthz.
            LogStartCleanupFailed(logger, ex, catalog.Directory);
        }
    }

    /// <param name="cancellationToken">Abandons the attempt in hand; its temporary file is deleted.</param>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        state.Beat();
        try
        {
            PrepareDirectory();
            var outcome = await Pipeline.ExecuteAsync(token => ValueTask.FromResult(BackUpIfChanged(token)), cancellationToken);
            Record(outcome);
        }
        // Abandoned at shutdown is no failure: the worker logs it, and the attempt's temporary file is already deleted.
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var reason = Describe(ex);
            state.Failed(reason);
            if (reason != _reportedError)
            {
                LogFailed(logger, ex, live.Path, reason);
                _reportedError = reason;
            }
        }
        finally
        {
            state.Beat();
        }
    }

    /// <summary>
    /// Waits until the database has not changed for <see cref="BackupOptions.FinalBackupQuietPeriod"/>
    /// (at most <see cref="MaxQuietPeriods"/> of them): the web app finishes its last commits on the same SIGTERM.
    /// </summary>
    public async Task WaitForQuietAsync(CancellationToken cancellationToken)
    {
        var quiet = _options.FinalBackupQuietPeriod;
        if (quiet <= TimeSpan.Zero)
        {
            return;
        }

        var poll = quiet < QuietPoll ? quiet : QuietPoll;
        var giveUpAt = time.GetUtcNow() + (quiet * MaxQuietPeriods);
        var last = TryCurrentVersion();
        var quietSince = time.GetUtcNow();
        while (time.GetUtcNow() - quietSince < quiet && time.GetUtcNow() < giveUpAt)
        {
            await Task.Delay(poll, time, cancellationToken);
            var current = TryCurrentVersion();
            if (current != last)
            {
                last = current;
                quietSince = time.GetUtcNow();
            }
        }
    }

    private void PrepareDirectory()
    {
        try
        {
            Directory.CreateDirectory(catalog.Directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BackupFailedException($"backup directory {catalog.Directory} is missing and cannot be created: {ex.Message}", ex);
        }

        if (DirectoryProbe.Check(catalog.Directory) is { } problem)
        {
            throw new BackupFailedException($"backup directory {problem}");
        }

        state.Found(catalog.List());
    }

    private BackupOutcome BackUpIfChanged(CancellationToken cancellationToken)
    {
        var current = live.CurrentVersion();
        if (current is null)
        {
            return new BackupOutcome.NothingToBackUp(null, $"{live.Path} does not exist yet");
        }

        if (current == _backedUp)
        {
            return new BackupOutcome.Unchanged(current.Value);
        }

        // Until this process has seen the database once, data_version cannot tell a change since a previous process's
        // newest backup: the snapshot is compared with it, so a restart or rollout does not push history out of retention.
        var sameAs = _backedUp is null && catalog.List() is [var newest, ..] ? newest : null;
        return taker.Take(live, sameAs, cancellationToken);
    }

    private void Record(BackupOutcome outcome)
    {
        _backedUp = outcome.Version;
        if (_reportedError is not null)
        {
            LogRecovered(logger, live.Path);
            _reportedError = null;
        }

        switch (outcome)
        {
            case BackupOutcome.Kept kept:
                LogBackedUp(logger, live.Path, kept.File.Name, kept.File.Size, kept.Duration.TotalMilliseconds);
                foreach (var expired in catalog.Prune(_options.Retain))
                {
                    LogPruned(logger, expired.Name, _options.Retain);
                }

                state.Took(kept.File, kept.SnapshotAt, kept.Duration);
                state.Found(catalog.List());
                break;
            case BackupOutcome.Unchanged { SameAs: { } same }:
                LogSameAsNewest(logger, live.Path, same.Name);
                state.Skipped(time.GetUtcNow());
                break;
            case BackupOutcome.Unchanged:
                LogNothingToBackUp(logger, $"{live.Path} unchanged since the newest backup; none taken");
                state.Skipped(time.GetUtcNow());
                break;
            case BackupOutcome.NothingToBackUp nothing:
                LogNothingToBackUp(logger, nothing.Reason);
                state.Skipped(time.GetUtcNow(), nothingToBackUp: nothing.Reason);
                break;
        }
    }

    private DatabaseVersion? TryCurrentVersion()
    {
        try
        {
            return live.CurrentVersion();
        }
        catch (Exception ex) when (ex is SqliteException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// What passes by itself: a lock the web app holds for a moment (SQLITE_BUSY/LOCKED), a transient
    /// I/O error, an attempt that ran out of time. A failed attempt has already deleted its temporary file.
    /// </summary>
    private static bool IsTransient(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is raw.SQLITE_BUSY or raw.SQLITE_LOCKED or raw.SQLITE_IOERR,
        FileNotFoundException or DirectoryNotFoundException => false,
        IOException or TimeoutRejectedException => true,
        _ => false,
    };

    /// <summary>One line an operator can act on: what failed, on which path, in SQLite's or the OS's words.</summary>
    private string Describe(Exception? exception) => exception switch
    {
        null => "unknown error",
        BackupFailedException => exception.Message,
        TimeoutRejectedException => $"a backup attempt of {live.Path} took longer than Backup:AttemptTimeout ({_options.AttemptTimeout})",
        // The web app held the database through every attempt.
        SqliteException { SqliteErrorCode: raw.SQLITE_BUSY or raw.SQLITE_LOCKED } sqlite => $"{live.Path} stayed locked: {sqlite.Message}",
        // The restore init container repairs this at the next pod start.
        SqliteException { SqliteErrorCode: raw.SQLITE_CORRUPT or raw.SQLITE_NOTADB } sqlite => $"{live.Path} is damaged: {sqlite.Message}",
        SqliteException sqlite => $"backing up {live.Path} failed: {sqlite.Message}",
        IOException or UnauthorizedAccessException => $"backing up {live.Path} into {catalog.Directory} failed: {exception.Message}",
        _ => $"backing up {live.Path} failed: {exception.GetType().Name}: {exception.Message}",
    };

    [LoggerMessage(LogLevel.Information, "Backed up {Database} to {File}: {Bytes} bytes, integrity_check ok, {Milliseconds:F0} ms")]
    private static partial void LogBackedUp(ILogger logger, string database, string file, long bytes, double milliseconds);

    [LoggerMessage(LogLevel.Information, "{Database} holds the same data as the newest backup {File}; not backing it up again")]
    private static partial void LogSameAsNewest(ILogger logger, string database, string file);

    [LoggerMessage(LogLevel.Debug, "Nothing to back up: {Reason}")]
    private static partial void LogNothingToBackUp(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Information, "Deleted {File}: Backup:Retain keeps the newest {Retain}")]
    private static partial void LogPruned(ILogger logger, string file, int retain);

    [LoggerMessage(LogLevel.Warning, "Removed {File} from {Directory}: a backup a previous run did not finish")]
    private static partial void LogRemovedTemporary(ILogger logger, string file, string directory);

    [LoggerMessage(LogLevel.Warning, "Cannot clean or list {Directory} at start")]
    private static partial void LogStartCleanupFailed(ILogger logger, Exception exception, string directory);

    [LoggerMessage(LogLevel.Warning, "Backup attempt {Attempt} follows in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string reason);

    [LoggerMessage(LogLevel.Error, "Backup of {Database} failed: {Reason}. /healthz reports 503 until a backup succeeds")]
    private static partial void LogFailed(ILogger logger, Exception exception, string database, string reason);

    [LoggerMessage(LogLevel.Information, "Backups of {Database} work again")]
    private static partial void LogRecovered(ILogger logger, string database);
}
