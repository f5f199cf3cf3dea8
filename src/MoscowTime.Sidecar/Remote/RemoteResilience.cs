using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// Retries for what passes by itself: the store unreachable for a moment, a timeout, 5xx, 503
/// SlowDown, 429. A 403 or a missing bucket waits for a person, so it fails at once. Delays run on
/// the injected clock.
/// </summary>
public static class RemoteResilience
{
    public const int MaxRetryAttempts = 3;

    public static ResiliencePipeline Create(RemoteOptions options, TimeProvider time, Action<OnRetryArguments<object>> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = arguments => ValueTask.FromResult(arguments.Outcome.Exception is { } exception
                    && !arguments.Context.CancellationToken.IsCancellationRequested && IsTransient(exception)),
                MaxRetryAttempts = MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                MaxDelay = options.RetryDelay * 8,
                OnRetry = arguments =>
                {
                    onRetry(arguments);
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

    /// <summary>The longest one remote step can take, every attempt and pause included.</summary>
    public static TimeSpan LongestStep(RemoteOptions options) =>
        (options.AttemptTimeout + (options.RetryDelay * 8)) * (MaxRetryAttempts + 1);

    public static bool IsTransient(Exception exception) => exception switch
    {
        AmazonServiceException { StatusCode: >= HttpStatusCode.InternalServerError or HttpStatusCode.TooManyRequests } => true,
        AmazonServiceException { ErrorCode: "SlowDown" or "RequestTimeout" or "Throttling" or "ThrottlingException" } => true,
        AmazonServiceException { StatusCode: not 0 } => false,
        HttpRequestException or SocketException or IOException or TimeoutRejectedException or TimeoutException => true,
        // HttpClient's own timeout; a cancellation the caller asked for is excluded above.
        OperationCanceledException => true,
        AmazonClientException { InnerException: { } inner } => IsTransient(inner),
        AmazonServiceException { InnerException: { } inner } => IsTransient(inner),
        _ => false,
    };
}
