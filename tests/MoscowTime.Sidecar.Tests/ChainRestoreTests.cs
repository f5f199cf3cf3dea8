using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using MoscowTime.Sidecar.Restore;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary><c>restore</c> and <c>restore --as-of</c> from chains shipped from a real live database into a real s3rver.</summary>
public sealed class ChainRestoreTests : IAsyncLifetime, IDisposable
{
    private const long PerCommit = 10;
    private const long Initial = 5;

    /// <summary>Inside the default 7-day window, whatever the clock says when the test runs.</summary>
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeMilliseconds());

    private readonly TempDirectory _dir = new("chain-restore");
    private readonly FakeLogCollector _log = new();
    private RemoteStore _store = null!;
    private ShippedChains _chains = null!;

    private string Database => _dir.File("data/visits.db");
    private string Backups => _dir.File("data/backups");
    private string Live => _dir.File("live/visits.db");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir.File("data"));
        _store = await RemoteStore.StartAsync(_dir);
        _chains = new ShippedChains(_store, Live, _dir.File("staging"), Initial);
    }

    [Fact]
    public async Task A_lost_database_comes_back_from_its_chain_with_every_shipped_commit()
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(1), Start.AddSeconds(2));
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(3));

        Assert.Equal(0, await RestoreAsync());

        Assert.Equal(_chains.Visits, Databases.StoredVisits(Database));
        Assert.Equal(Initial + (3 * PerCommit), _chains.Visits);
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        Assert.Empty(Directory.GetFiles(_dir.File("data"), ".*"));
        Assert.DoesNotContain(_log.GetSnapshot(), r => r.Level == LogLevel.Critical);
    }

    [Fact]
    public async Task A_damaged_newest_segment_ends_the_restore_at_the_commit_before_it_with_one_critical_line()
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(1));
        var damaged = await _chains.ShipAsync(PerCommit, Start.AddSeconds(2), Start.AddSeconds(3));
        _store.Server.Damage(damaged);

        Assert.True(await RestoreAsync() == 0, Log());

        Assert.Equal(Initial + PerCommit, Databases.StoredVisits(Database));
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        var critical = Assert.Single(_log.GetSnapshot(), r => r.Level == LogLevel.Critical);
        Assert.Contains(damaged, critical.Message, StringComparison.Ordinal);
        Assert.Contains($"{Start.AddSeconds(1):O}", critical.Message, StringComparison.Ordinal);
        Assert.Contains(damaged, await File.ReadAllTextAsync(Path.Combine(Backups, DatabaseRestorer.DamagedNote)));
    }

    [Fact]
    public async Task A_segment_whose_checksum_matches_but_ends_inside_a_frame_leaves_none_of_itself_in_the_restore()
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(1));
        var cut = await _chains.ShipAsync(PerCommit, Start.AddSeconds(2), Start.AddSeconds(3));
        var name = cut[RemoteStore.PodFolder.Length..];
        var body = _dir.File($"staging/{Path.GetFileName(name)}");
        await using (var file = new FileStream(body, FileMode.Open))
        {
            file.SetLength(file.Length - 100);
        }

        await _store.PutBackupAsync(body, name);

        Assert.True(await RestoreAsync() == 0, Log());

        Assert.Equal(Initial + PerCommit, Databases.StoredVisits(Database));
        Assert.Equal("ok", Databases.IntegrityCheck(Database));
        Assert.Contains(cut, Assert.Single(_log.GetSnapshot(), r => r.Level == LogLevel.Critical).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_snapshot_falls_back_to_the_older_chain()
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(1));
        var older = _chains.Visits;
        var snapshot = await _chains.StartChainAsync(Start.AddMinutes(1));
        await _chains.ShipAsync(PerCommit, Start.AddMinutes(1).AddSeconds(1));
        _store.Server.Damage(snapshot);

        Assert.True(await RestoreAsync() == 0, Log());

        Assert.Equal(older, Databases.StoredVisits(Database));
        Assert.Contains(_log.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains(snapshot, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(-1, "store")]
    [InlineData(1, "local")]
    public async Task The_newer_of_the_local_backup_and_the_store_is_restored(int localAfterStoreMinutes, string expected)
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddMinutes(2));
        VisitsFile.Backup(Backups, Database, Start.AddMinutes(2 + localAfterStoreMinutes), 1000);

        Assert.True(await RestoreAsync() == 0, Log());

        Assert.Equal(expected == "local" ? 1000 : _chains.Visits, Databases.StoredVisits(Database));
        Assert.Empty(Directory.GetFiles(_dir.File("data"), ".*"));
    }

    [Fact]
    public async Task A_store_that_cannot_be_asked_gives_way_to_a_verifying_local_backup_with_one_line_saying_so()
    {
        VisitsFile.Backup(Backups, Database, Start, 1000);
        _store.Server.Stop();

        Assert.True(await RestoreAsync() == 0, Log());

        Assert.Equal(1000, Databases.StoredVisits(Database));
        Assert.Single(_log.GetSnapshot(), r => r.Level == LogLevel.Warning && r.Message.Contains("The store cannot be asked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task As_of_an_instant_gives_the_commits_timed_at_or_before_it_and_names_the_newest()
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(1), Start.AddSeconds(2));
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(3));
        await _chains.StartChainAsync(Start.AddMinutes(1));
        await _chains.ShipAsync(PerCommit, Start.AddMinutes(1).AddSeconds(1));

        foreach (var (asOf, commits, newest) in new[]
        {
            (Start, 0, Start),
            (Start.AddSeconds(1), 1, Start.AddSeconds(1)),
            (Start.AddSeconds(2.5), 2, Start.AddSeconds(2)),
            (Start.AddSeconds(59), 3, Start.AddSeconds(3)),
            (Start.AddMinutes(1), 3, Start.AddMinutes(1)),
            (Start.AddMinutes(5), 4, Start.AddMinutes(1).AddSeconds(1)),
        })
        {
            var output = _dir.File($"as-of/{asOf.UtcTicks}.db");
            Assert.True(await AsOfAsync(Instant(asOf), output) == 0, Log());
            Assert.Equal(Initial + (commits * PerCommit), Databases.StoredVisits(output));
            Assert.Equal("ok", Databases.IntegrityCheck(output));
            Assert.Contains(_log.GetSnapshot(), r => r.Message.Contains(output, StringComparison.Ordinal)
                && r.Message.Contains($"the newest transaction included is from {Instant(newest)}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task An_instant_in_an_outage_gap_is_said_to_be_one()
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(1));
        await _chains.StartChainAsync(Start.AddMinutes(10));

        Assert.True(await AsOfAsync(Instant(Start.AddMinutes(5)), _dir.File("gap.db")) == 0, Log());

        Assert.Equal(Initial + PerCommit, Databases.StoredVisits(_dir.File("gap.db")));
        Assert.Contains(_log.GetSnapshot(), r => r.Message.Contains("outage gap", StringComparison.Ordinal)
            && r.Message.Contains(Instant(Start.AddMinutes(10)), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("2026-12-04T13:00:05Z", 0)]
    [InlineData("2026-12-04T13:00:05.250Z", 2_500_000)]
    [InlineData("2026-12-04T13:00:05.250123Z", 2_501_230)]
    public void Instants_are_read_at_any_fractional_precision(string text, long ticksAfterTheSecond) =>
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 13, 0, 5, TimeSpan.Zero).AddTicks(ticksAfterTheSecond), PointInTimeRestore.ParseInstant(text));

    [Theory]
    [InlineData("2026-12-04T13:00:05")]
    [InlineData("2026-12-04T13:00:05+03:00")]
    [InlineData("yesterday")]
    public void Instants_without_a_utc_z_are_not_read(string text) => Assert.Null(PointInTimeRestore.ParseInstant(text));

    [Fact]
    public async Task An_instant_outside_the_window_is_refused_with_the_window_in_the_message()
    {
        await _chains.StartChainAsync(Start);
        await _chains.ShipAsync(PerCommit, Start.AddSeconds(1));

        Assert.Equal(1, await AsOfAsync(Instant(Start.AddMilliseconds(-1)), _dir.File("before.db")));
        Assert.Equal(1, await AsOfAsync(Instant(DateTimeOffset.UtcNow.AddHours(1)), _dir.File("future.db")));
        Assert.Equal(1, await AsOfAsync(Instant(Start.AddSeconds(1)), _dir.File("narrow.db"), "--Backup:Remote:Window=00:10:00"));

        var window = $"restorable from {Instant(Start)} to {Instant(Start.AddSeconds(1))}";
        Assert.Equal(2, _log.GetSnapshot().Count(r => r.Level == LogLevel.Error && r.Message.Contains(window, StringComparison.Ordinal)));
        Assert.False(File.Exists(_dir.File("before.db")) || File.Exists(_dir.File("future.db")) || File.Exists(_dir.File("narrow.db")));
    }

    [Fact]
    public async Task The_output_is_never_the_live_database_nor_a_file_that_exists()
    {
        await _chains.StartChainAsync(Start);
        var existing = _dir.File("existing.db");
        await File.WriteAllTextAsync(existing, "keep me");

        Assert.Equal(1, await AsOfAsync(Instant(Start), Database, $"--Backup:DatabasePath={Database}"));
        Assert.Equal(1, await AsOfAsync(Instant(Start), existing));

        Assert.False(File.Exists(Database));
        Assert.Equal("keep me", await File.ReadAllTextAsync(existing));
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose()
    {
        _chains.Dispose();
        _dir.Dispose();
    }

    private static string Instant(DateTimeOffset at) => Health.Freshness.Utc(at);

    private string Log() => string.Join("\n", _log.GetSnapshot().Select(r => r.Message));

    private Task<int> RestoreAsync(params string[] args) =>
        RestoreCommand.RunAsync(
            [$"--Backup:DatabasePath={Database}", $"--Backup:Directory={Backups}", "--Logging:LogLevel:Default=Information", .. _store.Args(), .. args],
            builder => builder.Logging.AddProvider(new FakeLoggerProvider(_log)));

    private Task<int> AsOfAsync(string asOf, string output, params string[] args) =>
        RestoreAsync(["--as-of", asOf, "--output", output, $"--Backup:DatabasePath={Live}", .. args]);
}
