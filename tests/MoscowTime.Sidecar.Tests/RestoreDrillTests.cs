using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Restore;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>The sidecar's restore drill against chains shipped into a real s3rver: /healthz fields and metrics.</summary>
public sealed class RestoreDrillTests : IAsyncLifetime, IDisposable
{
    private const long PerCommit = 10;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>After the fake clock's start, so the chain is newer than any whole copy the sidecar uploads.</summary>
    private static readonly DateTimeOffset ChainStart = VisitsFile.Start.AddDays(1);

    private readonly TempDirectory _dir = new("restore-drill");
    private readonly FakeTimeProvider _time = new(VisitsFile.Start);
    private RemoteStore _store = null!;
    private ShippedChains _chains = null!;

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    public async Task InitializeAsync()
    {
        _store = await RemoteStore.StartAsync(_dir);
        _chains = new ShippedChains(_store, Database, _dir.File("staging"), visits: 5);
        await _chains.StartChainAsync(ChainStart);
        await _chains.ShipAsync(PerCommit, ChainStart.AddSeconds(1));
    }

    [Fact]
    public async Task The_drill_restores_the_store_alone_and_reports_the_instant_reached_in_healthz_and_metrics()
    {
        await _chains.ShipAsync(PerCommit, ChainStart.AddSeconds(2), ChainStart.AddSeconds(3));
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, _store.Args(endpoint: proxy.Endpoint));

        var body = await UntilDrillAsync(sidecar, "drillLastSuccessTime");

        // Reads only: every request on the chain's objects is a GET.
        var chainRequests = proxy.Log.Where(request => request.Contains("/chain-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(chainRequests);
        Assert.All(chainRequests, request => Assert.StartsWith("GET ", request, StringComparison.Ordinal));

        Assert.Equal(Freshness.Utc(ChainStart.AddSeconds(3)), body.GetProperty("drillReachedTime").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("drillDamagedObject").ValueKind);
        Assert.True(body.GetProperty("drillLastDurationSeconds").GetDouble() >= 0);
        var metrics = PrometheusText.Parse(await sidecar.App.Client.GetStringAsync("/metrics"));
        // The same instant as /healthz gives (to the millisecond): the fake clock moves on while the test polls.
        var succeeded = DateTimeOffset.Parse(body.GetProperty("drillLastSuccessTime").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(succeeded.ToUnixTimeMilliseconds() / 1000.0, metrics["moscowtime_backup_restore_drill_last_success_timestamp_seconds"], 3);
        Assert.Equal(TimeSpan.FromHours(1).TotalSeconds, metrics["moscowtime_backup_restore_drill_interval_seconds"]);
        Assert.Equal(0, metrics["moscowtime_backup_restore_damaged_objects"]);
        Assert.True(metrics.ContainsKey("moscowtime_backup_restore_drill_duration_seconds"));
    }

    [Fact]
    public async Task A_drill_that_meets_a_damaged_object_turns_healthz_red_and_counts_it()
    {
        var damaged = await _chains.ShipAsync(PerCommit, ChainStart.AddSeconds(2));
        _store.Server.Damage(damaged);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, _store.Args());

        var body = await UntilDrillAsync(sidecar, "drillDamagedObject");

        Assert.Equal(damaged, body.GetProperty("drillDamagedObject").GetString());
        Assert.Equal(Freshness.Utc(ChainStart.AddSeconds(1)), body.GetProperty("drillReachedTime").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await sidecar.GetJsonAsync("/healthz")).Status);
        Assert.Contains($"the restore drill found damaged objects in the store: {damaged}", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var metrics = PrometheusText.Parse(await sidecar.App.Client.GetStringAsync("/metrics"));
        Assert.Equal(1, metrics["moscowtime_backup_restore_damaged_objects"]);
    }

    [Fact]
    public async Task A_damaged_object_noted_by_restore_is_reported_until_the_note_is_removed()
    {
        Directory.CreateDirectory(Backups);
        await File.WriteAllTextAsync(Path.Combine(Backups, DatabaseRestorer.DamagedNote), "site/moscow-time-0/chain-x/segment.wal (restored to …)\n");
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, _store.Args());

        var body = await UntilDrillAsync(sidecar, "drillDamagedObject");

        Assert.StartsWith("site/moscow-time-0/chain-x/segment.wal", body.GetProperty("drillDamagedObject").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, PrometheusText.Parse(await sidecar.App.Client.GetStringAsync("/metrics"))["moscowtime_backup_restore_damaged_objects"]);
    }

    [Fact]
    public async Task Drill_metrics_exist_from_start_and_no_drill_asks_a_store_that_has_not_answered_the_shipping()
    {
        _store.Server.Stop();
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, _store.Args());
        await sidecar.UntilShippedAsync(s => s.Failures >= 1, "a failed shipping pass");
        _time.Advance(TimeSpan.FromSeconds(5));

        var (_, body) = await sidecar.GetJsonAsync("/healthz");

        Assert.Equal(JsonValueKind.Null, body.GetProperty("drillLastError").ValueKind);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("drillLastSuccessTime").ValueKind);
        var metrics = PrometheusText.Parse(await sidecar.App.Client.GetStringAsync("/metrics"));
        Assert.Equal(0, metrics["moscowtime_backup_restore_drill_last_success_timestamp_seconds"]);
        Assert.Equal(0, metrics["moscowtime_backup_restore_damaged_objects"]);
        Assert.Equal(TimeSpan.FromHours(1).TotalSeconds, metrics["moscowtime_backup_restore_drill_interval_seconds"]);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose()
    {
        _chains.Dispose();
        _dir.Dispose();
    }

    /// <summary>/healthz once <paramref name="field"/> is set, moving the fake clock on meanwhile: retries wait on it.</summary>
    private Task<JsonElement> UntilDrillAsync(SidecarHost sidecar, string field) =>
        Poll.UntilAsync(async () =>
        {
            var (_, body) = await sidecar.GetJsonAsync("/healthz");
            if (body.GetProperty(field).ValueKind == JsonValueKind.Null)
            {
                _time.Advance(TimeSpan.FromMilliseconds(100));
            }

            return body;
        }, body => body.GetProperty(field).ValueKind != JsonValueKind.Null, Patience, $"a restore drill that sets {field}");
}
