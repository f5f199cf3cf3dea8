using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Storage.Tests;

public sealed class VisitWriterTests : IAsyncDisposable
{
    private readonly TempDirectory _dir = new("writer");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 0, 36, 32, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();

    private string DatabasePath => _dir.File("visits.db");

    [Fact]
    public async Task Concurrent_visits_get_distinct_numbers_and_share_commits()
    {
        var batches = new List<int>();
        using var listener = ListenTo<int>("batch_size", batches);
        await using var writer = await StartWriterAsync();

        const int visits = 3_000;
        var numbers = await Task.WhenAll(Enumerable.Range(0, visits).Select(_ => Task.Run(writer.RecordVisitAsync)));

        Assert.Equal(Enumerable.Range(1, visits).Select(i => (long)i), numbers.Order());
        Assert.Equal(visits, Databases.StoredVisits(DatabasePath));
        Assert.Equal(visits, batches.Sum());
        Assert.True(batches.Count < visits / 4, $"{visits} concurrent visits took {batches.Count} commits");
    }

    [Fact]
    public async Task Visit_is_committed_before_its_task_completes()
    {
        await using var writer = await StartWriterAsync();

        var number = await writer.RecordVisitAsync();

        Assert.Equal(1, number);
        Assert.Equal(1, Databases.StoredVisits(DatabasePath));
    }

    [Fact]
    public async Task Visits_are_bucketed_by_utc_hour()
    {
        await using var writer = await StartWriterAsync();
        await writer.RecordVisitAsync();
        _time.Advance(TimeSpan.FromHours(1));
        await writer.RecordVisitAsync();
        await writer.RecordVisitAsync();

        Assert.Equal([new HourCount("2026-11-24 00:00", 1), new HourCount("2026-11-24 01:00", 2)], Databases.StoredHours(DatabasePath));
    }

    [Fact]
    public async Task Stop_commits_every_accepted_visit_and_refuses_later_ones()
    {
        var writer = await StartWriterAsync();
        var accepted = Enumerable.Range(0, 500).Select(_ => writer.RecordVisitAsync()).ToArray();

        await writer.StopAsync(CancellationToken.None);
        var late = writer.RecordVisitAsync();

        Assert.Equal(500, (await Task.WhenAll(accepted)).Distinct().Count());
        var refused = await Assert.ThrowsAsync<VisitNotRecordedException>(() => late);
        Assert.Contains("shutting down", refused.Message, StringComparison.Ordinal);
        Assert.Equal(500, Databases.StoredVisits(DatabasePath));
        await writer.DisposeAsync();
    }

    [Fact]
    public async Task Count_continues_from_the_file_after_a_restart()
    {
        await using (var first = await StartWriterAsync())
        {
            await first.RecordVisitAsync();
            await first.RecordVisitAsync();
            await first.StopAsync(CancellationToken.None);
        }

        await using var second = await StartWriterAsync();
        Assert.Equal(2, second.CommittedTotal);
        Assert.Equal(3, await second.RecordVisitAsync());
    }

    [Fact]
    public async Task Deleted_file_fails_visits_instead_of_counting_into_a_ghost()
    {
        await using var writer = await StartWriterAsync();
        await writer.RecordVisitAsync();

        foreach (var file in Directory.GetFiles(_dir.Path, "visits.db*"))
        {
            File.Delete(file);
        }

        var error = await Assert.ThrowsAsync<VisitNotRecordedException>(writer.RecordVisitAsync);
        Assert.Contains("deleted", error.Message, StringComparison.Ordinal);
        Assert.False(writer.Health.Writable);
        Assert.False(File.Exists(DatabasePath), "the writer must not silently start a new, empty database");
    }

    [Fact]
    public async Task A_full_queue_refuses_visits_instead_of_growing_without_bound()
    {
        await using var writer = await StartWriterAsync(queueCapacity: 1, maxBatchSize: 1);

        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            try
            {
                await writer.RecordVisitAsync();
                return true;
            }
            catch (VisitNotRecordedException)
            {
                return false;
            }
        }));

        Assert.Contains(false, results);
        Assert.Equal(results.Count(ok => ok), Databases.StoredVisits(DatabasePath));
    }

    private async Task<VisitWriter> StartWriterAsync(int queueCapacity = 10_000, int maxBatchSize = 4_096)
    {
        var options = Options.Create(new VisitStoreOptions { DatabasePath = DatabasePath, QueueCapacity = queueCapacity, MaxBatchSize = maxBatchSize });
        var writer = new VisitWriter(options, _time, new StorageMetrics(_meters), NullLogger<VisitWriter>.Instance);
        await writer.StartAsync(CancellationToken.None);
        Assert.True(writer.Health.Writable, writer.Health.Reason);
        return writer;
    }

    private MeterListener ListenTo<T>(string instrument, List<T> into) where T : struct
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (found, l) =>
            {
                if (_meters.Created(found.Meter) && found.Name == instrument)
                {
                    l.EnableMeasurementEvents(found);
                }
            },
        };
        listener.SetMeasurementEventCallback<T>((_, value, _, _) =>
        {
            lock (into)
            {
                into.Add(value);
            }
        });
        listener.Start();
        return listener;
    }

    public ValueTask DisposeAsync()
    {
        _meters.Dispose();
        _dir.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _created = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _created.Add(meter);
            return meter;
        }

        public bool Created(Meter meter) => _created.Contains(meter);

        public void Dispose() => _created.ForEach(meter => meter.Dispose());
    }
}
