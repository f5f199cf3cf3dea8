using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using MoscowTime.Web.Pods;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace MoscowTime.Web.Cluster;

/// <summary>Asks one peer for its own count (GET /visits, which never fans out); timeouts, retry and breaker are in <see cref="ClusterServices"/>.</summary>
public sealed class PeerClient(IHttpClientFactory clients, ClusterMetrics metrics, IOptions<JsonOptions> json)
{
    public const string HttpClientName = "peers";

    /// <summary>/visits read with the JSON options it is written with (generated code: no reflection under Native AOT).</summary>
    private readonly JsonTypeInfo<PodVisits> _answer = (JsonTypeInfo<PodVisits>)json.Value.SerializerOptions.GetTypeInfo(typeof(PodVisits));

    /// <summary>Never throws: a peer that does not answer becomes a not-ok line with the reason.</summary>
    public async Task<PodCount> AskAsync(PeerTarget peer, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var tag = new KeyValuePair<string, object?>("peer", peer.Name);
        try
        {
            using var client = clients.CreateClient(HttpClientName);
            var answer = await client.GetFromJsonAsync(new Uri(peer.BaseAddress, "/visits"), _answer, cancellationToken)
                ?? throw new InvalidDataException("empty answer");
            return new PodCount(answer.Pod, answer.Visits, true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            metrics.Failures.Add(1, tag, new("reason", ex.GetType().Name));
            return new PodCount(peer.Name, null, false, Describe(ex, cancellationToken));
        }
        finally
        {
            metrics.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tag);
        }
    }

    private static string Describe(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        BrokenCircuitException => "circuit open: recent calls failed, not asking again yet",
        TimeoutRejectedException timeout => $"no answer within {timeout.Timeout.TotalMilliseconds:0} ms",
        OperationCanceledException when cancellationToken.IsCancellationRequested => "no answer within the fan-out's bound",
        HttpRequestException { StatusCode: { } status } => $"answered {(int)status}",
        HttpRequestException http => http.InnerException?.Message ?? http.Message,
        JsonException or InvalidDataException => "answered something that is not a count",
        _ => ex.Message,
    };
}
