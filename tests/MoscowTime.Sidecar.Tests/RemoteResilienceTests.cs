using System.Net;
using Amazon.S3;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Testing;
using Polly.Timeout;

namespace MoscowTime.Sidecar.Tests;

/// <summary>Which failures of the store are retried, and how the pauses between attempts grow, on a fake clock.</summary>
public sealed class RemoteResilienceTests
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static TheoryData<Exception> Passing => new()
    {
        new HttpRequestException("Connection refused"),
        new AmazonS3Exception("Please reduce your request rate.") { StatusCode = HttpStatusCode.ServiceUnavailable, ErrorCode = "SlowDown" },
        new AmazonS3Exception("We encountered an internal error.") { StatusCode = HttpStatusCode.InternalServerError, ErrorCode = "InternalError" },
        new AmazonS3Exception("Slow down") { StatusCode = HttpStatusCode.TooManyRequests },
        new TimeoutException("The operation has timed out."),
        new TimeoutRejectedException(),
    };

    public static TheoryData<Exception> Waiting => new()
    {
        new AmazonS3Exception("Access Denied") { StatusCode = HttpStatusCode.Forbidden, ErrorCode = "AccessDenied" },
        new AmazonS3Exception("The specified bucket does not exist") { StatusCode = HttpStatusCode.NotFound, ErrorCode = "NoSuchBucket" },
        new RemoteMismatchException("does not read back"),
    };

    [Theory]
    [MemberData(nameof(Passing))]
    public async Task A_passing_failure_is_tried_again_three_times_after_pauses_on_the_injected_clock(Exception failure)
    {
        var time = new WatchedClock();
        var delays = new List<TimeSpan>();
        var attempts = 0;
        var pipeline = Retries.Create(AttemptTimeout, FirstDelay, RemoteFailure.IsTransient, time, arguments => delays.Add(arguments.RetryDelay));

        var run = pipeline.ExecuteAsync(_ =>
        {
            Interlocked.Increment(ref attempts);
            throw failure;
        }, CancellationToken.None).AsTask();

        // Each pause is a timer on the fake clock: the next attempt comes when, and only when, the
        // clock has been moved on by the whole pause.
        for (var retry = 0; !run.IsCompleted; retry++)
        {
            Assert.True(retry < Retries.MaxRetryAttempts, $"still running after {retry} retries; attempts: {Volatile.Read(ref attempts)}");
            var pause = retry;
            var timer = await Poll.UntilAsync(() => delays.Count > pause ? time.TimerFor(delays[pause]) : null, due => due is not null, Patience,
                $"retry {pause + 1} waiting on the clock");
            var attemptsBefore = Volatile.Read(ref attempts);
            time.Advance(timer!.Value - TimeSpan.FromTicks(1));
            Assert.Equal(attemptsBefore, Volatile.Read(ref attempts));
            time.Advance(TimeSpan.FromTicks(1));
            await Poll.UntilAsync(() => Volatile.Read(ref attempts) > attemptsBefore, Patience, $"attempt {attemptsBefore + 1} once the pause has passed");
        }

        await Assert.ThrowsAnyAsync<Exception>(() => run);
        Assert.Equal(1 + Retries.MaxRetryAttempts, attempts);
        Assert.Equal(Retries.MaxRetryAttempts, delays.Count);
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.Zero, FirstDelay * Retries.MaxDelayFactor));
    }

    [Theory]
    [MemberData(nameof(Waiting))]
    public async Task A_failure_that_waits_for_a_person_is_not_retried(Exception failure)
    {
        var attempts = 0;
        var pipeline = Retries.Create(AttemptTimeout, FirstDelay, RemoteFailure.IsTransient, new FakeTimeProvider(),
            _ => Assert.Fail("no retry expected"));

        await Assert.ThrowsAnyAsync<Exception>(() => pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw failure;
        }, CancellationToken.None).AsTask());

        Assert.Equal(1, attempts);
    }

    /// <summary>A fake clock that remembers the timers set on it, so a test advances it only once the code waits.</summary>
    private sealed class WatchedClock : FakeTimeProvider
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<TimeSpan> _dueTimes = new();

        /// <summary>The timer set for <paramref name="pause"/>, which a delay rounds to whole milliseconds.</summary>
        public TimeSpan? TimerFor(TimeSpan pause) =>
            _dueTimes.Where(due => (due - pause).Duration() < TimeSpan.FromMilliseconds(1)).Select(due => (TimeSpan?)due).FirstOrDefault();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _dueTimes.Enqueue(dueTime);
            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
