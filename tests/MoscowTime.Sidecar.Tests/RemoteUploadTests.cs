using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>Uploads to a real s3rver on 127.0.0.1, driven by the sidecar's own loop on a fake clock.</summary>
public sealed class RemoteUploadTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("remote-upload");
    private readonly FakeTimeProvider _time = new(VisitsFile.Start);
    private RemoteStore _store = null!;

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");

    public async Task InitializeAsync() => _store = await RemoteStore.StartAsync(_dir);

    [Fact]
    public async Task A_verified_backup_is_uploaded_under_the_prefix_and_pod_name_and_reads_back_byte_for_byte()
    {
        VisitsFile.Create(Database, visits: 7);
        await using var sidecar = await StartAsync();

        var status = await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the first upload");

        var backup = Assert.Single(sidecar.Catalog.List());
        Assert.Equal([$"{RemoteStore.PodFolder}{backup.Name}"], _store.Keys());
        Assert.Equal(await File.ReadAllBytesAsync(backup.Path), await File.ReadAllBytesAsync(_store.Server.ObjectFile(_store.Keys()[0])));
        Assert.Equal(backup.Name, status.Newest?.Name);
        Assert.Null(status.LastError);
    }

    [Fact]
    public async Task Uploads_are_plain_bodies_without_the_checksum_headers_stricter_stores_reject()
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        VisitsFile.Create(Database, visits: 7);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));

        await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the first upload");

        // R2, Ceph RGW and older MinIO refuse x-amz-checksum-* and aws-chunked; s3rver would keep
        // the chunk signatures inside the object.
        var put = Assert.Single(proxy.PutHeaders);
        Assert.DoesNotContain(put.Keys, name => name.StartsWith("x-amz-checksum-", StringComparison.Ordinal) || name == "x-amz-sdk-checksum-algorithm" || name == "x-amz-decoded-content-length");
        Assert.False(put.TryGetValue("content-encoding", out var encoding) && encoding.Contains("aws-chunked", StringComparison.Ordinal), encoding);
        Assert.DoesNotContain("STREAMING-", put.GetValueOrDefault("x-amz-content-sha256", ""), StringComparison.Ordinal);
        var backup = Assert.Single(sidecar.Catalog.List());
        Assert.Equal(new FileInfo(backup.Path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture), put["content-length"]);
        // What lets a store that checks it refuse a body that arrives different. MD5 is the S3
        // protocol's digest here, not a security measure.
#pragma warning disable CA5351
        Assert.Equal(Convert.ToBase64String(MD5.HashData(await File.ReadAllBytesAsync(backup.Path))), put["content-md5"]);
#pragma warning restore CA5351
    }

    [Fact]
    public async Task An_upload_whose_ETag_is_the_files_MD5_counts_without_reading_it_back_and_later_ones_skip_the_HEAD()
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        VisitsFile.Create(Database, visits: 7);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));
        await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the first upload");
        VisitsFile.AddVisits(Database, 1);
        await sidecar.NextPassAsync();

        var status = await sidecar.UntilRemoteAsync(s => s.Taken == 2, "the second upload");

        var names = sidecar.Catalog.List().Select(b => b.Name).Reverse().ToList();
        Assert.Equal(2, names.Count);
        var objects = names.Select(name => $"/{Testing.S3Server.Bucket}/{RemoteStore.PodFolder}{name}").ToList();
        // The first pass asks whether a previous process sent it already; the second cannot find its name stored.
        Assert.Equal([$"HEAD {objects[0]}", $"PUT {objects[0]}", $"PUT {objects[1]}"],
            proxy.Log.Where(request => objects.Any(request.EndsWith)));
        Assert.Equal(names[1], status.Newest?.Name);
        Assert.Null(status.LastError);
        foreach (var backup in sidecar.Catalog.List())
        {
            Assert.Equal(await File.ReadAllBytesAsync(backup.Path), await File.ReadAllBytesAsync(_store.Server.ObjectFile($"{RemoteStore.PodFolder}{backup.Name}")));
        }
    }

    [Fact]
    public async Task An_upload_whose_ETag_is_not_the_files_MD5_is_read_back_and_counts_when_the_bytes_match()
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        proxy.Fault = S3Fault.ForeignPutETag;
        VisitsFile.Create(Database, visits: 7);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));

        var status = await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the upload confirmed by its read-back");

        var backup = Assert.Single(sidecar.Catalog.List());
        var key = $"{RemoteStore.PodFolder}{backup.Name}";
        Assert.Contains($"GET /{Testing.S3Server.Bucket}/{key}", proxy.Log);
        Assert.Equal([key], _store.Keys());
        Assert.Equal(backup.Name, status.Newest?.Name);
        Assert.Null(status.LastError);
        Assert.Equal(0, status.Failed);
    }

    [Fact]
    public async Task A_backup_that_fails_verification_is_never_uploaded()
    {
        VisitsFile.Create(Database, visits: 7);
        VisitsFile.Corrupt(Database);
        await using var sidecar = await StartAsync();

        await sidecar.UntilRemotePassesAsync(1);
        await sidecar.NextPassAsync();
        await sidecar.UntilRemotePassesAsync(2);

        Assert.True(sidecar.State.Status.Failed >= 2, "the damaged database cannot be backed up");
        Assert.Empty(sidecar.Catalog.List());
        Assert.Empty(_store.Keys());
        Assert.Equal(0, sidecar.Remote().Taken);
    }

    [Fact]
    public async Task A_restart_does_not_upload_what_the_store_already_holds()
    {
        VisitsFile.Create(Database, visits: 7);
        await using (var first = await StartAsync())
        {
            await first.UntilRemoteAsync(s => s.Taken == 1, "the first upload");
        }

        var key = Assert.Single(_store.Keys());
        var uploadedAt = File.GetLastWriteTimeUtc(_store.Server.ObjectFile(key));

        await using var second = await StartAsync();
        var status = await second.UntilRemotePassesAsync(1);

        Assert.Equal(0, status.Taken);
        Assert.Equal(Path.GetFileName(key), status.Newest?.Name);
        Assert.NotNull(status.UpToDateAt);
        Assert.Equal([key], _store.Keys());
        Assert.Equal(uploadedAt, File.GetLastWriteTimeUtc(_store.Server.ObjectFile(key)));
    }

    [Theory]
    [InlineData(S3Fault.AlterUploads)]
    [InlineData(S3Fault.KeepChunkSignatures)]
    public async Task An_object_the_store_keeps_different_is_not_counted_is_deleted_and_is_sent_again_next_pass(S3Fault fault)
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        proxy.Fault = fault;
        VisitsFile.Create(Database, visits: 7);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));

        var failed = await sidecar.UntilRemoteAsync(s => s.Failed >= 1, "the different object to be caught");

        Assert.Equal(0, failed.Taken);
        Assert.Contains("does not read back", failed.LastError, StringComparison.Ordinal);
        Assert.Empty(_store.Keys());
        var (status, body) = await sidecar.GetJsonAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("does not read back", body.GetProperty("remoteLastError").GetString(), StringComparison.Ordinal);

        proxy.Fault = S3Fault.None;
        await sidecar.NextPassAsync();
        var recovered = await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the upload through a faithful store");
        Assert.Null(recovered.LastError);
        Assert.Single(_store.Keys());
    }

    [Theory]
    [InlineData(S3Fault.SlowDown, "00:00:10", "is overloaded and asks to slow down (503")]
    [InlineData(S3Fault.Hang, "00:00:01", "did not answer within Backup:Remote:AttemptTimeout (00:00:01)")]
    public async Task A_passing_fault_is_retried_with_backoff_then_reported_and_the_next_pass_succeeds(S3Fault fault, string timeout, string reason)
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        proxy.Fault = fault;
        VisitsFile.Create(Database, visits: 7);
        await using var sidecar = await StartAsync([.. _store.Args(endpoint: proxy.Endpoint), $"--Backup:Remote:AttemptTimeout={timeout}"]);
        var failed = await sidecar.UntilRemoteAsync(s => s.Failed == 1, $"the pass to give up on {fault}");

        Assert.Equal(1 + Sidecar.Backups.Retries.MaxRetryAttempts, proxy.Requests);
        Assert.Contains(reason, failed.LastError, StringComparison.Ordinal);
        VisitsFile.AddVisits(Database, 1);
        Assert.Equal(2, (await sidecar.NextPassAsync()).Taken); // while the next upload is in the same trouble

        proxy.Fault = S3Fault.None;
        await sidecar.NextPassAsync();
        await sidecar.UntilRemoteAsync(s => s.Taken == 1, "the upload once the store keeps up");
    }

    [Theory]
    [InlineData("bad-credentials")]
    [InlineData("missing-bucket")]
    public async Task Bad_credentials_and_a_missing_bucket_each_give_a_clear_reason_without_retrying(string fault)
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        VisitsFile.Create(Database, visits: 7);
        // A HEAD that finds no bucket reads as no object; the PUT that follows names the bucket.
        var (args, expected, requests) = fault == "bad-credentials"
            ? (_store.Args(endpoint: proxy.Endpoint, accessKey: "NOT-A-KEY"), "denied access to s3://backups/site/moscow-time-0/ (403", 1)
            : (_store.Args(endpoint: proxy.Endpoint, bucket: "no-such-bucket"), "bucket 'no-such-bucket' does not exist", 2);
        await using var sidecar = await SidecarHost.StartAsync(Database, Backups, _time, args);

        var failed = await sidecar.UntilRemoteAsync(s => s.Failed == 1, "the pass to fail");

        Assert.Contains(expected, failed.LastError, StringComparison.Ordinal);
        Assert.True(fault != "bad-credentials" || failed.LastError!.Contains("check the credentials", StringComparison.Ordinal), failed.LastError);
        Assert.Equal(requests, proxy.Requests);
        Assert.Equal(1, sidecar.State.Status.Taken);
        Assert.DoesNotContain(RemoteStore.Secret, await sidecar.App.Client.GetStringAsync("/healthz"), StringComparison.Ordinal);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose() => _dir.Dispose();

    /// <param name="args">After the remote settings, so they can override them (an endpoint through a proxy).</param>
    private Task<SidecarHost> StartAsync(params string[] args) =>
        SidecarHost.StartAsync(Database, Backups, _time, [.. _store.Args(), .. args]);
}
