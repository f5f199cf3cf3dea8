using Polly;
using Polly.Retry;

namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// Retries for what passes by itself, in backups and uploads: a timeout per attempt, exponential pauses
/// with jitter on the injected clock. What needs a person (a 403) fails at once: the caller's predicate says which.
/// </summary>
public static class Retries
{
    public const int MaxRetryAttempts = 3;

    /// <summary>The longest pause, as a multiple of the first: the third retry's (2³), so jitter cannot stretch it further.</summary>
    public const int MaxDelayFactor = 8;

    public static ResiliencePipeline Create(TimeSpan attemptTimeout, TimeSpan firstDelay, Func<Exception, bool> isTransient, TimeProvider time,
        Action<OnRetryArguments<object>> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                // A cancellation the caller asked for is never retried, whatever the predicate says.
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception
                    && !arguments.Context.CancellationToken.IsCancellationRequested && isTransient(exception)),
                MaxRetryAttempts = MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = firstDelay,
                MaxDelay = firstDelay * MaxDelayFactor,
                OnRetry = arguments =>
                {
                    onRetry(arguments);
                    return default;
                },
            })
            .AddTimeout(attemptTimeout)
            .Build();

    /// <summary>The longest a call through <see cref="Create"/> can legitimately take, every attempt and pause included.</summary>
    public static TimeSpan LongestRun(TimeSpan attemptTimeout, TimeSpan firstDelay) =>
        (attemptTimeout + (firstDelay * MaxDelayFactor)) * (MaxRetryAttempts + 1);
}
