using System.Collections.Concurrent;
using System.Net;

namespace MoscowTime.Faults.Tests.Processes;

/// <summary>
/// A paced load (<see cref="PerSecond"/> visits a second unless told otherwise) that writes down when each request was sent and when
/// its 200 came back: the ground truth that what a restore gives back is checked against.
/// </summary>
internal sealed class VisitJournal : IAsyncDisposable
{
    public const int PerSecond = 60;

    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<DateTimeOffset> _sent = new();
    private readonly ConcurrentQueue<DateTimeOffset> _acknowledged = new();
    private readonly Task _sending;

    private VisitJournal(Uri baseAddress, int perSecond)
    {
        _client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(20) };
        _sending = SendAsync(perSecond);
    }

    /// <param name="duration">The longest it sends; it stops earlier with <see cref="StopAsync"/>.</param>
    public static VisitJournal Start(Uri baseAddress, TimeSpan duration, int perSecond = PerSecond)
    {
        var journal = new VisitJournal(baseAddress, perSecond);
        journal._stop.CancelAfter(duration);
        return journal;
    }

    public long Acknowledged => _acknowledged.Count;

    /// <summary>Visits sent at or before <paramref name="at"/>: a restore to that instant holds no more.</summary>
    public long SentBy(DateTimeOffset at) => _sent.Count(sent => sent <= at);

    /// <summary>Visits whose 200 came back at or before <paramref name="at"/>: a restore to that instant holds these.</summary>
    public long AcknowledgedBy(DateTimeOffset at) => _acknowledged.Count(acknowledged => acknowledged <= at);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _sending;
    }

    public override string ToString() => $"sent {_sent.Count}, acknowledged {_acknowledged.Count}";

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task SendAsync(int perSecond)
    {
        var inFlight = new List<Task>();
        using var pace = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / perSecond));
        try
        {
            while (await pace.WaitForNextTickAsync(_stop.Token))
            {
                inFlight.Add(VisitAsync());
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped by the test or by the time bound; answers still in flight are not waited for.
        }

        await Task.WhenAny(Task.WhenAll(inFlight), Task.Delay(TimeSpan.FromSeconds(1)));
    }

    private async Task VisitAsync()
    {
        _sent.Enqueue(DateTimeOffset.UtcNow);
        try
        {
            using var response = await _client.GetAsync("/", _stop.Token);
            await response.Content.ReadAsStringAsync(_stop.Token);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                _acknowledged.Enqueue(DateTimeOffset.UtcNow);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            // No 200, no promise: killed apps and the stop both end up here.
        }
    }
}
