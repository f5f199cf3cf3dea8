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
    public async Task Remote_metrics_exist_from_start_with_nothing_uploaded_yet()
    {
        await using var sidecar = await StartAsync();
        await sidecar.UntilRemotePassesAsync(1);

        var metrics = await sidecar.App.Client.GetStringAsync("/metrics");

        Assert.Contains("moscowtime_backup_remote_uploads_total 0", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_remote_upload_failures_total 0", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_remote_age_seconds NaN", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_remote_healthy 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_reports_the_last_upload_apart_from_the_local_backup()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await StartAsync();
        var uploaded = await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the first upload");

        var (status, body) = await sidecar.GetJsonAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(body.GetProperty("lastBackupFile").GetString(), body.GetProperty("remoteLastUploadFile").GetString());
        Assert.Equal($"s3://backups/{RemoteStore.PodFolder}", body.GetProperty("remoteLocation").GetString());
        Assert.Equal(1, body.GetProperty("remoteUploads").GetInt64());
        Assert.True(body.GetProperty("remoteNewestAgeSeconds").GetDouble() >= 0);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("remoteLastError").ValueKind);
        Assert.Contains($"{uploaded.Newest?.Name} in s3://backups/{RemoteStore.PodFolder} holds every commit", body.GetProperty("reason").GetString(),
            StringComparison.Ordinal);
        var metrics = await sidecar.App.Client.GetStringAsync("/metrics");
        Assert.Contains("moscowtime_backup_remote_uploads_total 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("moscowtime_backup_remote_age_seconds NaN", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_store_down_local_backups_go_on_healthz_says_why_once_stale_and_all_recovers_when_it_returns()
    {
        VisitsFile.Create(Database, visits: 3);
        await using var sidecar = await StartAsync();
        await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the first upload");

        _store.Server.Stop();
        for (var pass = 1; pass <= 4; pass++)
        {
            VisitsFile.AddVisits(Database, 1);
            await sidecar.NextPassAsync();
            await sidecar.UntilRemoteAsync(s => s.Failed >= pass, $"failed upload pass {pass}");
        }

        Assert.Equal(5, sidecar.State.Status.Taken);
        Assert.Null(sidecar.State.Status.LastError);
        var (down, body) = await sidecar.GetJsonAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        var reason = body.GetProperty("reason").GetString();
        Assert.Contains("remote backups are stale", reason, StringComparison.Ordinal);
        Assert.Contains($"{_store.Server.Endpoint} cannot be reached", reason, StringComparison.Ordinal);
        Assert.Contains("cannot be reached", body.GetProperty("remoteLastError").GetString(), StringComparison.Ordinal);
        var metrics = await sidecar.App.Client.GetStringAsync("/metrics");
        Assert.Contains("moscowtime_backup_remote_healthy 0", metrics, StringComparison.Ordinal);
        Assert.Contains("moscowtime_backup_healthy 1", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("moscowtime_backup_remote_upload_failures_total 0", metrics, StringComparison.Ordinal);

        await _store.Server.StartAgainAsync();
        await sidecar.NextPassAsync();
        await sidecar.UntilRemoteAsync(s => s.Taken == 2 && s.LastError is null, "the upload once the store is back");

        var (up, _) = await sidecar.GetJsonAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, up);
        Assert.Equal(sidecar.Catalog.List()[0].Name, Path.GetFileName(_store.Keys()[^1]));
        Assert.Contains("moscowtime_backup_remote_healthy 1", await sidecar.App.Client.GetStringAsync("/metrics"), StringComparison.Ordinal);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    private Task<SidecarHost> StartAsync() =>
        SidecarHost.StartAsync(Database, Backups, _time, _store.Args());
}
