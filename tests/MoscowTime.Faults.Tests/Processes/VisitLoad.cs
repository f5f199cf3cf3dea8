using System.Collections.Concurrent;
using System.Net;
using MoscowTime.Testing;

namespace MoscowTime.Faults.Tests.Processes;

/// <summary>
/// Concurrent <c>GET /</c> against one app on 127.0.0.1, bounded in count and in time, keeping
/// count of what every request got. A 200 counts once its page has fully arrived: that is the
/// promise the app makes, "your visit is on disk".
/// </summary>
internal sealed class VisitLoad : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stopSending = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly ConcurrentDictionary<HttpStatusCode, int> _statuses = new();
    private readonly ConcurrentDictionary<string, int> _failures = new();
    private long _sent;
    private long _ok;

    private VisitLoad(Uri baseAddress, int connections)
    {
        _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(20),
        };
    }

    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Requests sent so far, answered or not.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Pages received: visits the app said it stored.</summary>
    public long Ok => Interlocked.Read(ref _ok);

    /// <summary>Answers by status code, 200 included.</summary>
    public IReadOnlyDictionary<HttpStatusCode, int> Statuses => _statuses;

    /// <summary>Requests that got no answer, by how they failed (refused, reset, ended early).</summary>
    public IReadOnlyDictionary<string, int> Failures => _failures;

    public IEnumerable<HttpStatusCode> ServerErrors => _statuses.Keys.Where(status => (int)status >= 500);

    /// <param name="requests">The most requests sent.</param>
    /// <param name="duration">The longest the load sends new requests; those in flight then finish.</param>
    public static VisitLoad Start(Uri baseAddress, int connections, int requests, TimeSpan duration)
    {
        var load = new VisitLoad(baseAddress, connections);
        load._stopSending.CancelAfter(duration);
        load.Completion = load.RunAsync(connections, requests);
        return load;
    }

    /// <summary>Waits until <paramref name="pages"/> pages have arrived.</summary>
    public async Task WaitForOkAsync(long pages, TimeSpan timeout)
    {
        await Poll.UntilAsync(() => Completion.IsCompleted || Ok >= pages, timeout, $"{pages} pages", ToString);
        if (Ok < pages)
        {
            throw new InvalidOperationException($"the load ended before {pages} pages arrived: {this}");
        }
    }

    /// <summary>Sends nothing more and waits for the answers to what is in flight: then every visit stored was answered.</summary>
    public async Task FinishAsync()
    {
        await _stopSending.CancelAsync();
        await Completion;
    }

    /// <summary>Abandons what is in flight, as a client that goes away does.</summary>
    public async Task StopAsync()
    {
        await _abandon.CancelAsync();
        await FinishAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stopSending.Dispose();
        _abandon.Dispose();
    }

    public override string ToString() =>
        $"sent {Sent}, pages {Ok}; answers {{{string.Join(", ", _statuses.Select(s => $"{(int)s.Key}: {s.Value}"))}}}; " +
        $"no answer {{{string.Join(", ", _failures.Select(f => $"{f.Key}: {f.Value}"))}}}";

    private async Task RunAsync(int connections, int requests)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = connections, CancellationToken = _stopSending.Token };
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, requests), options, (_, _) => VisitAsync(_abandon.Token));
        }
        catch (OperationCanceledException) when (_stopSending.IsCancellationRequested)
        {
            // Stopped by the test or by the time bound.
        }
    }

    private async ValueTask VisitAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _sent);
        try
        {
            using var response = await _client.GetAsync("/", ct);
            await response.Content.ReadAsStringAsync(ct);
            _statuses.AddOrUpdate(response.StatusCode, 1, (_, n) => n + 1);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                Interlocked.Increment(ref _ok);
            }
        }
        catch (HttpRequestException ex)
        {
            _failures.AddOrUpdate(ex.HttpRequestError.ToString(), 1, (_, n) => n + 1);
        }
        catch (IOException ex)
        {
            // The page was cut off mid-way (HttpIOException): no promise was made.
            _failures.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Abandoned by the stop: no answer, and none expected.
        }
        catch (OperationCanceledException)
        {
            _failures.AddOrUpdate("Timeout", 1, (_, n) => n + 1);
        }
    }
}
