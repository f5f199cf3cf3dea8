using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Sidecar.Restore;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>
/// Compaction of shipped segments (docs/design.md, "Continuous shipping") against a real s3rver: segments of real WAL
/// frames across three hours, merged by <see cref="SegmentCompactor"/>, then restored by the real <c>restore</c>.
/// </summary>
public sealed class CompactionTests : IAsyncLifetime, IDisposable
{
    /// <summary>Three hours ago, on the hour: inside the default window, whatever the clock says when the test runs.</summary>
    private static readonly DateTimeOffset Hour0 = HourOf(DateTimeOffset.UtcNow).AddHours(-3);
    private static readonly DateTimeOffset Start = Hour0.AddMinutes(10);

    /// <summary>Visits in the live database before the chain, and per commit shipped.</summary>
    private const long Initial = 5, PerCommit = 10;

    /// <summary>Instants to restore, each with the commits timed at or before it: inside merged hours, on a commit, and in the hour not merged.</summary>
    private static readonly (DateTimeOffset AsOf, int Commits)[] Instants =
    [
        (Start.AddSeconds(1), 1), (Hour0.AddMinutes(30), 3), (Hour0.AddMinutes(55), 4),
        (Hour0.AddHours(1).AddMinutes(30), 6), (Hour0.AddHours(1).AddMinutes(45), 7), (Hour0.AddHours(2).AddMinutes(7), 9),
    ];

    private readonly TempDirectory _dir = new("compaction");
    private readonly FakeLogCollector _log = new();
    private readonly FakeTimeProvider _time = new(Hour0.AddHours(2).AddMinutes(20));
    private RemoteStore _store = null!;
    private ShippedChains _chains = null!;
    private ObjectStore _client = null!;
    private SegmentCompactor _compactor = null!;

    public async Task InitializeAsync()
    {
        _store = await RemoteStore.StartAsync(_dir);
        _chains = new ShippedChains(_store, _dir.File("live/visits.db"), _dir.File("staging"), Initial);
        _client = _store.Client();
        var state = new ShippingState(_client, _time);
        state.Update(s => s with { LastShippedTime = _time.GetUtcNow() });
        var catalog = new BackupCatalog(_dir.File("backups"), "visits.db");
        var objects = new ShippedObjects(_client, catalog, state, NullLogger<ShippedObjects>.Instance);
        _compactor = new SegmentCompactor(_client, objects, Options.Create(new RemoteOptions()), state, _time, NullLogger<SegmentCompactor>.Instance);
    }

    [Fact]
    public async Task Compaction_leaves_one_segment_per_ended_hour_and_every_instant_restores_exactly_as_before()
    {
        var parts = await ShipThreeHoursAsync();
        var before = await RestoreEachAsync("before");
        Assert.Equal([.. Instants.Select(i => Initial + (i.Commits * PerCommit)), _chains.Visits], before);

        await _compactor.CompactAsync(CancellationToken.None);
        await _compactor.CompactAsync(CancellationToken.None);

        var chain = Assert.Single(_store.Chains());
        Assert.Equal(4, chain.Segments.Count);
        Assert.Equal(chain.Segments, chain.Continuous());
        Assert.Equal([parts[0] with { LastCommit = parts[2].LastCommit }, parts[3] with { LastCommit = parts[5].LastCommit }],
            chain.Segments.Take(2).Select(s => (s.Segment.From, s.Segment.FirstCommit, s.Segment.LastCommit)));
        Assert.Equal(before, await RestoreEachAsync("after"));
        Assert.DoesNotContain(_log.GetSnapshot(), r => r.Level == LogLevel.Critical);
    }

    [Fact]
    public async Task An_interrupted_compaction_restores_exactly_with_the_merged_segment_beside_all_or_some_of_its_parts()
    {
        await ShipThreeHoursAsync();
        var before = await RestoreEachAsync("before");

        // One pass merges and deletes nothing: as if killed right after the merged PUTs.
        await _compactor.CompactAsync(CancellationToken.None);
        var chain = Assert.Single(_store.Chains());
        Assert.Equal(8 + 2, chain.Segments.Count);
        Assert.Equal(4, chain.Continuous().Count);
        Assert.Equal(before, await RestoreEachAsync("merged"));

        // Killed in the middle of deleting the parts.
        var redundant = chain.Segments.Except(chain.Continuous()).ToList();
        foreach (var part in redundant.Where((_, i) => i % 2 == 0))
        {
            await _client.DeleteAsync(part.Stored.Name, CancellationToken.None);
        }

        Assert.Equal(before, await RestoreEachAsync("half-deleted"));
        await _compactor.CompactAsync(CancellationToken.None);
        Assert.Equal(4, Assert.Single(_store.Chains()).Segments.Count);
    }

    [Fact]
    public async Task A_damaged_merged_segment_ends_the_restore_at_the_commit_before_it_with_one_critical_line()
    {
        await ShipThreeHoursAsync();
        await _compactor.CompactAsync(CancellationToken.None);
        await _compactor.CompactAsync(CancellationToken.None);
        var merged = Assert.Single(_store.Chains()).Segments[1].Stored.Key;
        _store.Server.Damage(merged);

        var restored = _dir.File("damaged/visits.db");
        Assert.True(await RestoreAsync(restored) == 0, Log());

        Assert.Equal(Initial + (4 * PerCommit), Databases.StoredVisits(restored));
        var critical = Assert.Single(_log.GetSnapshot(), r => r.Level == LogLevel.Critical);
        Assert.Contains(merged, critical.Message, StringComparison.Ordinal);
        Assert.Contains($"{Hour0.AddMinutes(50):O}", critical.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_part_is_not_merged_so_restore_still_stops_at_it_and_later_hours_are_merged_all_the_same()
    {
        await ShipThreeHoursAsync();
        var damaged = _store.Chains()[0].Segments[1].Stored.Key;
        _store.Server.Damage(damaged);

        await _compactor.CompactAsync(CancellationToken.None);

        // The first hour stays as shipped; the second is merged all the same.
        var chain = Assert.Single(_store.Chains());
        Assert.Equal(8 + 1, chain.Segments.Count);
        Assert.Equal(3 + 1 + 2, chain.Continuous().Count);
        Assert.Contains(chain.Continuous(), s => s.Stored.Key == damaged);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose()
    {
        _client.Dispose();
        _chains.Dispose();
        _dir.Dispose();
    }

    /// <summary>A chain with three segments in each of two ended hours and two in the current one.</summary>
    /// <returns>Each segment's first frame and first commit, and its last commit.</returns>
    private async Task<List<(long From, DateTimeOffset FirstCommit, DateTimeOffset LastCommit)>> ShipThreeHoursAsync()
    {
        await _chains.StartChainAsync(Start);
        DateTimeOffset[][] segments =
        [
            [Start.AddSeconds(1), Start.AddSeconds(2)], [Hour0.AddMinutes(25)], [Hour0.AddMinutes(50)],
            [Hour0.AddHours(1).AddMinutes(5)], [Hour0.AddHours(1).AddMinutes(30), Hour0.AddHours(1).AddMinutes(31)], [Hour0.AddHours(1).AddMinutes(59)],
            [Hour0.AddHours(2).AddMinutes(5)], [Hour0.AddHours(2).AddMinutes(10)],
        ];
        foreach (var times in segments)
        {
            await _chains.ShipAsync(PerCommit, times);
        }

        return [.. Assert.Single(_store.Chains()).Segments.Select(s => (s.Segment.From, s.Segment.FirstCommit, s.Segment.LastCommit))];
    }

    /// <summary>The visits of <c>restore --as-of</c> at each of <see cref="Instants"/>, then of a whole restore onto a new volume.</summary>
    private async Task<long[]> RestoreEachAsync(string phase)
    {
        var counts = new List<long>();
        foreach (var (asOf, _) in Instants)
        {
            var output = _dir.File($"{phase}/{asOf.UtcTicks}.db");
            Assert.True(await RestoreAsync(_dir.File("live/visits.db"), "--as-of", Health.Freshness.Utc(asOf), "--output", output) == 0, Log());
            counts.Add(Databases.StoredVisits(output));
        }

        var restored = _dir.File($"{phase}/volume/visits.db");
        Assert.True(await RestoreAsync(restored) == 0, Log());
        Assert.Equal("ok", Databases.IntegrityCheck(restored));
        return [.. counts, Databases.StoredVisits(restored)];
    }

    private Task<int> RestoreAsync(string database, params string[] args)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(database)!);
        return RestoreCommand.RunAsync(
            [$"--Backup:DatabasePath={database}", $"--Backup:Directory={Path.GetDirectoryName(database)}/backups", .. _store.Args(), .. args],
            builder => builder.Logging.AddProvider(new FakeLoggerProvider(_log)));
    }

    private static DateTimeOffset HourOf(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);

    private string Log() => string.Join("\n", _log.GetSnapshot().Select(r => r.Message));
}
