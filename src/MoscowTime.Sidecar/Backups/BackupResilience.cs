using Microsoft.Data.Sqlite;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SQLitePCL;

namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// Retries for what passes by itself: a lock the web app holds for a moment (SQLITE_BUSY/LOCKED), a
/// transient I/O error, an attempt that ran out of time. Each attempt has its own timeout; a failed
/// attempt has already deleted its temporary file before the next one starts.
/// </summary>
public static class BackupResilience
{
    public const int MaxRetryAttempts = 3;
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    public static ResiliencePipeline Create(BackupOptions options, TimeProvider time, Action<OnRetryArguments<object>> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = MaxDelay,
                OnRetry = arguments =>
                {
                    onRetry(arguments);
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

    /// <summary>The longest one pass of the loop can legitimately take, every attempt and pause included.</summary>
    public static TimeSpan LongestPass(BackupOptions options) => (options.AttemptTimeout + MaxDelay) * (MaxRetryAttempts + 1);

    public static bool IsTransient(Exception exception) => exception switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode is raw.SQLITE_BUSY or raw.SQLITE_LOCKED or raw.SQLITE_IOERR,
        FileNotFoundException or DirectoryNotFoundException => false,
        IOException or TimeoutRejectedException => true,
        _ => false,
    };
}
