using System.Net;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>/healthz and /metrics for the remote, apart from the local backups, against a real s3rver.</summary>
public sealed class RemoteHealthTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("remote-health");
    private readonly FakeTimeProvider _time = new(VisitsFile.Start);
    private RemoteStore _store = null!;

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    public async Task InitializeAsync() => _store = await RemoteStore.StartAsync(_dir);

    [Fact]
    public async Task Remote_metrics_exist_from_start_with_nothing_shipped_yet()
    {
        await using var sidecar = await StartAsync();

        var metrics = await sidecar.App.Client.GetStringAsync("/metrics");

        Assert.Contains("moscowtime_backup_remote_uploads_total 0", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_remote_upload_failures_total 0", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_remote_lag_seconds 0", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_remote_first_recoverable_timestamp_seconds NaN", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_remote_healthy 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("moscowtime_backup_remote_age_seconds", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_reports_the_chain_and_the_last_object_apart_from_the_local_backup()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await StartAsync();
        var shipped = await sidecar.UntilShippedAsync(s => s.Uploads == 1 && s.FirstRecoverable is not null, "the snapshot and the listing after it");

        var (status, body) = await sidecar.GetJsonAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal($"s3://backups/{RemoteStore.PodFolder}", body.GetProperty("remoteLocation").GetString());
        Assert.Equal(shipped.Chain, body.GetProperty("remoteChain").GetString());
        Assert.StartsWith($"{shipped.Chain}/snapshot", body.GetProperty("remoteLastObject").GetString(), StringComparison.Ordinal);
        Assert.Equal(shipped.Chain, Sidecar.Remote.RemoteChain.FolderFor(shipped.FirstRecoverable!.Value));
        Assert.Equal(Sidecar.Health.Freshness.Utc(shipped.FirstRecoverable.Value), body.GetProperty("remoteFirstRecoverable").GetString());
        Assert.Equal(1, body.GetProperty("remoteUploads").GetInt64());
        Assert.Equal(0, body.GetProperty("remoteLagSeconds").GetDouble());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("remoteLastError").ValueKind);
        Assert.Contains($"s3://backups/{RemoteStore.PodFolder} holds every commit seen", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var metrics = PrometheusText.Parse(await sidecar.App.Client.GetStringAsync("/metrics"));
        Assert.Equal(1, metrics["moscowtime_backup_remote_uploads_total"]);
        Assert.Equal(shipped.FirstRecoverable!.Value.ToUnixTimeMilliseconds() / 1000.0, metrics["moscowtime_backup_remote_first_recoverable_timestamp_seconds"]);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private Task<SidecarHost> StartAsync() =>
        SidecarHost.StartAsync(Database, Backups, _time, _store.Args());
}
