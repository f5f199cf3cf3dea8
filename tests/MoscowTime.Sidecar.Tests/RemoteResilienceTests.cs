using System.Net;
using Amazon.S3;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Remote;
using Polly.Timeout;

namespace MoscowTime.Sidecar.Tests;

/// <summary>Which failures of the store are retried, and how the pauses between attempts grow, on a fake clock.</summary>
public sealed class RemoteResilienceTests
{
    private static readonly RemoteOptions Options = new() { RetryDelay = TimeSpan.FromSeconds(1), AttemptTimeout = TimeSpan.FromSeconds(5) };

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
        var time = new FakeTimeProvider();
        var delays = new List<TimeSpan>();
        var attempts = 0;
        var pipeline = RemoteResilience.Create(Options, time, arguments => delays.Add(arguments.RetryDelay));

        var run = pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw failure;
        }, CancellationToken.None).AsTask();
        var advanced = TimeSpan.Zero;
        for (var step = 0; step < 2000 && !run.IsCompleted; step++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            advanced += TimeSpan.FromMilliseconds(100);
            await Task.Delay(1);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => run);
        // The pauses passed on the fake clock only: the run ends once it has been moved on by their sum.
        Assert.InRange(advanced, delays.Aggregate(TimeSpan.Zero, (sum, delay) => sum + delay), TimeSpan.FromSeconds(200));
        Assert.Equal(1 + RemoteResilience.MaxRetryAttempts, attempts);
        Assert.Equal(RemoteResilience.MaxRetryAttempts, delays.Count);
        Assert.All(delays, delay => Assert.InRange(delay, TimeSpan.Zero, Options.RetryDelay * 8));
    }

    [Theory]
    [MemberData(nameof(Waiting))]
    public async Task A_failure_that_waits_for_a_person_is_not_retried(Exception failure)
    {
        var attempts = 0;
        var pipeline = RemoteResilience.Create(Options, new FakeTimeProvider(), _ => Assert.Fail("no retry expected"));

        await Assert.ThrowsAnyAsync<Exception>(() => pipeline.ExecuteAsync(_ =>
        {
            attempts++;
            throw failure;
        }, CancellationToken.None).AsTask());

        Assert.Equal(1, attempts);
    }
}
