using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;
using MoscowTime.Web.Pods;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace MoscowTime.Web.Cluster;

/// <summary>
/// Asks one peer for its own count (GET /visits, which never fans out again). A short timeout per
/// attempt and one retry ride over a blip; a circuit breaker per peer stops a dead pod from costing
/// every request its full timeout.
/// </summary>
public sealed class PeerClient(IHttpClientFactory clients, IOptions<ClusterOptions> options, ClusterMetrics metrics, TimeProvider time)
{
    public const string HttpClientName = "peers";

    private static readonly PredicateBuilder<object> PeerFailures = new PredicateBuilder()
        .Handle<HttpRequestException>()
        .Handle<TimeoutRejectedException>()
        .Handle<JsonException>()
        .Handle<InvalidDataException>();

    private readonly ClusterOptions _options = options.Value;
    private readonly ConcurrentDictionary<Uri, ResiliencePipeline> _pipelines = new();

    /// <summary>Never throws: a peer that does not answer becomes a not-ok line with the reason.</summary>
    public async Task<PodCount> AskAsync(PeerTarget peer, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var tag = new KeyValuePair<string, object?>("peer", peer.Name);
        try
        {
            var answer = await Pipeline(peer.BaseAddress).ExecuteAsync(
                static async (state, token) =>
                {
                    using var client = state.clients.CreateClient(HttpClientName);
                    return await client.GetFromJsonAsync<PodVisits>(new Uri(state.BaseAddress, "/visits"), token)
                        ?? throw new InvalidDataException("empty answer");
                },
                (clients, peer.BaseAddress),
                cancellationToken);
            metrics.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
            return new PodCount(answer.Pod, answer.Visits, true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            metrics.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
            metrics.Failures.Add(1, tag, new("reason", ex.GetType().Name));
            return new PodCount(peer.Name, null, false, Describe(ex, cancellationToken));
        }
    }

    private string Describe(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        BrokenCircuitException => "circuit open: recent calls failed, not asking again yet",
        TimeoutRejectedException => $"no answer within {_options.PeerTimeout.TotalMilliseconds:0} ms (tried twice)",
        OperationCanceledException when cancellationToken.IsCancellationRequested => $"no answer within the {_options.FanOutTimeout.TotalMilliseconds:0} ms bound",
        HttpRequestException { StatusCode: { } status } => $"answered {(int)status}",
        HttpRequestException http => http.InnerException?.Message ?? http.Message,
        JsonException or InvalidDataException => "answered something that is not a count",
        _ => ex.Message,
    };

    private ResiliencePipeline Pipeline(Uri peer) => _pipelines.GetOrAdd(peer, _ => new ResiliencePipelineBuilder { TimeProvider = time }
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = PeerFailures,
            MaxRetryAttempts = 1,
            Delay = TimeSpan.FromMilliseconds(10),
            BackoffType = DelayBackoffType.Constant,
            UseJitter = true,
        })
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = PeerFailures,
            FailureRatio = 0.5,
            MinimumThroughput = 2,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = _options.BreakDuration,
        })
        .AddTimeout(_options.PeerTimeout)
        .Build());
}
