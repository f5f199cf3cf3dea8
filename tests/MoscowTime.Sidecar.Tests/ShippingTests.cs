using System.Net;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Sidecar.Restore;
using MoscowTime.Storage;
using MoscowTime.Testing;

namespace MoscowTime.Sidecar.Tests;

/// <summary>Continuous shipping against a real s3rver, with a real SQLite writer that stays open as the web app's does, on a fake clock.</summary>
public sealed class ShippingTests : IAsyncLifetime, IDisposable
{
    private const int FrameBytes = WriteAheadLog.FrameHeaderBytes + 4096;

    private readonly TempDirectory _dir = new("shipping");
    private readonly FakeTimeProvider _time = new(VisitsFile.Start);
    private readonly SqliteConnection _writer;
    private RemoteStore _store = null!;
    private long _visits;

    public ShippingTests()
    {
        _writer = SqliteDatabase.OpenWriter(Database, create: true);
        Schema.Migrate(_writer);
    }

    private string Database => _dir.File("visits.db");
    private string Backups => _dir.File("backups");
    private string Copy => _dir.File("restored.db");

    public async Task InitializeAsync() => _store = await RemoteStore.StartAsync(_dir);

    [Fact]
    public async Task Commits_go_up_as_a_snapshot_then_segments_that_applied_to_it_give_the_live_count()
    {
        Commit(5);
        await using var sidecar = await StartAsync();
        var first = await sidecar.UntilShippedAsync(s => s.Uploads >= 1, "the snapshot");
        await CommitAndShipAsync(sidecar, 3);
        var status = await CommitAndShipAsync(sidecar, 2, 4);

        var chain = Assert.Single(_store.Chains());
        // The first confirmed object started the chain; under load a poll may see it only after the first segment too.
        Assert.NotNull(chain.Snapshot);
        Assert.Equal(chain.Folder, first.Chain);
        Assert.True(chain.Segments.Count >= 2, "at least one segment per upload after the snapshot");
        Assert.Equal([0, .. chain.Segments.SkipLast(1).Select(s => s.Segment.To)], chain.Segments.Select(s => s.Segment.From));
        Assert.Equal(chain.Folder, status.Chain);
        Assert.Equal(TimeSpan.Zero, status.Lag(_time.GetUtcNow()));
        Assert.Equal(_visits, _store.RestoreNewest(Copy));
    }

    [Fact]
    public async Task A_restarted_sidecar_continues_the_same_chain_where_its_last_segment_ended()
    {
        await using (var first = await StartAsync())
        {
            Commit(5);
            await first.UntilShippedAsync(s => s.Uploads >= 2, "the snapshot and a segment");
        }

        var before = Assert.Single(_store.Chains());
        Commit(7);
        // A restart takes time: the second sidecar's first local backup gets a name of its own.
        _time.Advance(TimeSpan.FromSeconds(1));
        await using var second = await StartAsync();
        await UntilCaughtUpAsync(second);

        var after = Assert.Single(_store.Chains());
        Assert.Equal(before.Snapshot!.Key, after.Snapshot!.Key);
        Assert.Equal(before.Segments[^1].Segment.To, after.Segments[^1].Segment.From);
        Assert.Equal(_visits, _store.RestoreNewest(Copy));
    }

    [Fact]
    public async Task A_restarted_sidecar_with_nothing_new_continues_the_chain_without_an_upload_or_a_lag()
    {
        await using (var first = await StartAsync())
        {
            Commit(5);
            await UntilCaughtUpAsync(first);
        }

        _time.Advance(TimeSpan.FromSeconds(1));
        await using var second = await StartAsync("--Backup:Interval=00:00:02", "--Backup:MaxAge=00:00:05");
        await second.UntilShippedAsync(s => s.Chain is not null, "the chain to be found");
        for (var i = 0; i < 100; i++)
        {
            _time.Advance(second.RemoteOptions().SyncInterval);
            await Task.Delay(5);
        }

        Assert.Equal((0L, TimeSpan.Zero), (second.Shipping().Uploads, second.Shipping().Lag(_time.GetUtcNow())));
        Assert.Single(_store.Chains());
        Assert.Equal(HttpStatusCode.OK, (await second.GetJsonAsync("/healthz")).Status);
    }

    [Fact]
    public async Task An_idle_pod_sends_no_write_request_at_all_and_the_next_commit_costs_one_PUT()
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        Commit(5);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));
        await sidecar.UntilShippedAsync(s => s.Uploads >= 2, "the snapshot and a segment");
        var requests = proxy.Requests;

        for (var i = 0; i < 100; i++)
        {
            _time.Advance(sidecar.RemoteOptions().SyncInterval);
            await Task.Delay(5);
        }

        // Reads are the restore drill's, which may run meanwhile; writes are what an idle pod must not send.
        Assert.Empty(Writes(proxy.Log.Skip(requests)));
        requests = proxy.Requests;
        await CommitAndShipAsync(sidecar, 1);
        Assert.Equal(["PUT"], Writes(proxy.Log.Skip(requests)));
    }

    [Fact]
    public async Task With_the_store_down_commits_wait_lag_grows_healthz_turns_503_and_the_backlog_ships_once_it_is_back()
    {
        Commit(5);
        await using var sidecar = await StartAsync("--Backup:Interval=00:00:02", "--Backup:MaxAge=00:00:05");
        await sidecar.UntilShippedAsync(s => s.Uploads >= 2, "the snapshot and a segment");
        var uploads = sidecar.Shipping().Uploads;

        _store.Server.Stop();
        Commit(2);
        await sidecar.UntilShippedAsync(s => s.Failures >= 1, "a failed pass");
        Commit(3);
        var down = await sidecar.UntilShippedAsync(s => s.Lag(_time.GetUtcNow()) > TimeSpan.FromSeconds(6), "the lag to pass MaxAge");

        Assert.Contains("cannot be reached", down.LastError, StringComparison.Ordinal);
        var (status, body) = await sidecar.GetJsonAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("remote shipping lags", body.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("remoteLagSeconds").GetDouble() > 5);
        var metrics = PrometheusText.Parse(await sidecar.App.Client.GetStringAsync("/metrics"));
        Assert.True(metrics["moscowtime_backup_remote_lag_seconds"] > 5);
        Assert.Equal(0, metrics["moscowtime_backup_remote_healthy"]);
        Assert.Equal(1, metrics["moscowtime_backup_healthy"]);

        await _store.Server.StartAgainAsync();
        var up = await sidecar.UntilShippedAsync(s => s.Uploads > uploads && s.LastError is null, "the backlog once the store is back");

        Assert.Equal(uploads + 1, up.Uploads);
        Assert.Equal(TimeSpan.Zero, up.Lag(_time.GetUtcNow()));
        Assert.Single(_store.Chains());
        Assert.Equal(_visits, _store.RestoreNewest(Copy));
        Assert.Equal(HttpStatusCode.OK, (await sidecar.GetJsonAsync("/healthz")).Status);
    }

    [Fact]
    public async Task A_WAL_restart_while_the_sidecar_is_not_shipping_starts_a_new_chain_from_a_snapshot()
    {
        Commit(5);
        await using var sidecar = await StartAsync();
        var first = await sidecar.UntilShippedAsync(s => s.Uploads >= 2, "the snapshot and a segment");

        _writer.Execute("PRAGMA wal_checkpoint(TRUNCATE);");
        Commit(4);
        var status = await sidecar.UntilShippedAsync(s => s.Chain != first.Chain && s.Lag(_time.GetUtcNow()) == TimeSpan.Zero, "a new chain");

        Assert.All(_store.Chains(), chain => Assert.NotNull(chain.Snapshot));
        Assert.Equal(_store.Chains()[0].Folder, status.Chain);
        Assert.Equal(_visits, _store.RestoreNewest(Copy));
    }

    [Fact]
    public async Task Retention_deletes_a_chain_only_once_the_next_newer_one_starts_before_the_window()
    {
        string[] settings = ["--Backup:Remote:Window=00:10:00", "--Backup:Remote:SnapshotInterval=00:01:00"];
        Commit(1);
        await using var sidecar = await StartAsync(settings);
        await UntilCaughtUpAsync(sidecar);
        _time.Advance(TimeSpan.FromMinutes(2));
        Commit(1);
        await UntilCaughtUpAsync(sidecar);
        var (a, b) = (_store.Chains()[1], _store.Chains()[0]);

        // Past the hour between prunings, B is older than the window, but C is not: only A goes.
        _time.Advance(SegmentCompactor.CompactEvery);
        Commit(1);
        var status = await sidecar.UntilShippedAsync(s => s.FirstRecoverable == b.Start, "the pruning after chain C");
        status = await UntilCaughtUpAsync(sidecar);

        Assert.Equal([b.Start], _store.Chains().Skip(1).Select(c => c.Start));
        Assert.DoesNotContain(_store.Keys(), key => key.Contains(a.Folder, StringComparison.Ordinal));
        Assert.Equal(_store.Chains()[0].Folder, status.Chain);
        Assert.Equal(_visits, _store.RestoreNewest(Copy));
    }

    [Fact]
    public async Task The_sidecars_checkpoint_keeps_the_WAL_short_under_steady_load_and_the_chain_goes_on_across_WAL_restarts()
    {
        await using var sidecar = await StartAsync();
        await sidecar.UntilShippedAsync(s => s.Uploads >= 1, "the snapshot");
        var largestTransaction = 0L;
        for (var pass = 0; pass < 24; pass++)
        {
            for (var i = 0; i < 20; i++)
            {
                var before = WalFrames();
                Commit(1, VisitsFile.Start.AddHours((pass * 20) + i));
                largestTransaction = Math.Max(largestTransaction, WalFrames() - before);
            }

            await UntilCaughtUpAsync(sidecar);
        }

        Assert.InRange(WalFrames(), 0, 512 + largestTransaction);
        var chain = Assert.Single(_store.Chains());
        Assert.True(chain.Segments.Select(s => s.Segment.End.Salt1).Distinct().Count() >= 2, "the WAL restarted within the chain");
        Assert.Equal(_visits, _store.RestoreNewest(Copy));
    }

    [Fact]
    public async Task A_WAL_the_web_apps_checkpoint_restarts_between_two_reads_stays_on_one_chain_that_restores_the_live_count()
    {
        Commit(5);
        await using var sidecar = await StartAsync();
        await UntilCaughtUpAsync(sidecar);
        // Short of the sidecar's own checkpoint, and far past what the next generation writes before the next read.
        CommitUntil(() => Position().Frames >= 100, "100 frames");
        var first = await UntilCaughtUpAsync(sidecar);
        var (generation, shipped) = (Position().Salt1, Position().Frames);

        // The clock stands still, so the shipper does not read while the writer's own checkpoint at 512 frames copies
        // every frame and the next commit restarts the WAL: the ended generation's last frames are not shipped yet.
        CommitUntil(() => Position().Salt1 != generation, "a WAL restart");
        Commit(3);
        Assert.InRange(Position().Frames, 1, shipped - 1);
        var status = await UntilCaughtUpAsync(sidecar);

        var chain = Assert.Single(_store.Chains());
        Assert.Equal(first.Chain, status.Chain);
        Assert.Equal([generation, generation + 1], chain.Segments.Select(s => s.Segment.End.Salt1).Distinct().TakeLast(2));
        Assert.Equal([0, .. chain.Segments.SkipLast(1).Select(s => s.Segment.To)], chain.Segments.Select(s => s.Segment.From));
        Assert.Equal(_visits, await RestoreAsync());
    }

    [Fact]
    public async Task A_WAL_restart_whose_new_frames_pass_the_shipped_position_before_a_read_starts_a_new_chain()
    {
        Commit(5);
        await using var sidecar = await StartAsync();
        var first = await UntilCaughtUpAsync(sidecar);
        var (generation, shipped) = (Position().Salt1, Position().Frames);

        // With the store down, a read the shipper may still make cannot move its place.
        _store.Server.Stop();
        CommitUntil(() => Position().Salt1 != generation, "a WAL restart");
        CommitUntil(() => Position().Frames > shipped, "the new generation past the shipped frames");
        await _store.Server.StartAgainAsync();
        var status = await sidecar.UntilShippedAsync(s => s.Chain != first.Chain && s.Lag(_time.GetUtcNow()) == TimeSpan.Zero, "a new chain");
        status = await UntilCaughtUpAsync(sidecar);

        Assert.Equal(2, _store.Chains().Count);
        Assert.Equal(_store.Chains()[0].Folder, status.Chain);
        Assert.Equal(_visits, await RestoreAsync());
    }

    [Fact]
    public async Task Objects_are_plain_bodies_with_Content_MD5_and_without_the_checksum_headers_stricter_stores_reject()
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        Commit(5);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));
        await sidecar.UntilShippedAsync(s => s.Uploads >= 2, "the snapshot and a segment");

        Assert.Equal(2, proxy.PutHeaders.Count);
        foreach (var (put, key) in proxy.PutHeaders.Zip(_store.Keys().Order(StringComparer.Ordinal).Reverse()))
        {
            Assert.DoesNotContain(put.Keys, name => name.StartsWith("x-amz-checksum-", StringComparison.Ordinal) || name == "x-amz-decoded-content-length");
            Assert.DoesNotContain("STREAMING-", put.GetValueOrDefault("x-amz-content-sha256", ""), StringComparison.Ordinal);
            // MD5 is the S3 protocol's digest here, not a security measure.
#pragma warning disable CA5351
            Assert.Equal(Convert.ToBase64String(MD5.HashData(await File.ReadAllBytesAsync(_store.Server.ObjectFile(key)))), put["content-md5"]);
#pragma warning restore CA5351
        }
    }

    [Fact]
    public async Task An_object_whose_ETag_is_not_its_MD5_is_read_back_and_counts_when_the_bytes_match()
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        proxy.Fault = S3Fault.ForeignPutETag;
        Commit(5);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));

        var status = await sidecar.UntilShippedAsync(s => s.Uploads >= 1, "the snapshot confirmed by its read-back");

        Assert.Contains($"GET /{S3Server.Bucket}/{RemoteStore.PodFolder}{status.LastObject}", proxy.Log);
        Assert.Equal(0, status.Failures);
    }

    [Fact]
    public async Task An_object_the_store_keeps_different_is_deleted_and_not_counted_and_goes_up_again_once_the_store_is_faithful()
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        proxy.Fault = S3Fault.AlterUploads;
        Commit(5);
        await using var sidecar = await StartAsync(_store.Args(endpoint: proxy.Endpoint));

        var failed = await sidecar.UntilShippedAsync(s => s.Failures >= 1, "the altered object to be caught");

        Assert.Equal(0, failed.Uploads);
        Assert.Contains("does not read back", failed.LastError, StringComparison.Ordinal);
        proxy.Fault = S3Fault.None;
        await sidecar.UntilShippedAsync(s => s.Uploads >= 1 && s.LastError is null, "the snapshot through a faithful store");
        Assert.Single(_store.Chains());
        Assert.Equal(_visits, _store.RestoreNewest(Copy));
    }

    [Theory]
    [InlineData("bad-credentials")]
    [InlineData("missing-bucket")]
    public async Task Bad_credentials_and_a_missing_bucket_each_give_a_clear_reason_without_retrying(string fault)
    {
        await using var proxy = await S3FaultProxy.StartAsync(_store.Server.Endpoint);
        Commit(5);
        var (args, expected) = fault == "bad-credentials"
            ? (_store.Args(endpoint: proxy.Endpoint, accessKey: "NOT-A-KEY"), "denied access to s3://backups/site/moscow-time-0/ (403")
            : (_store.Args(endpoint: proxy.Endpoint, bucket: "no-such-bucket"), "bucket 'no-such-bucket' does not exist");
        await using var sidecar = await StartAsync(args);

        var failed = await sidecar.UntilShippedAsync(s => s.Failures >= 1, "the pass to fail");

        Assert.Contains(expected, failed.LastError, StringComparison.Ordinal);
        // One listing per pass, never retried within it.
        Assert.InRange(proxy.Requests, 1, sidecar.Shipping().Failures + 1);
        Assert.DoesNotContain(RemoteStore.Secret, await sidecar.App.Client.GetStringAsync("/healthz"), StringComparison.Ordinal);
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    public void Dispose()
    {
        _writer.Dispose();
        _dir.Dispose();
    }

    private void Commit(long visits, DateTimeOffset? at = null)
    {
        using var transaction = _writer.BeginTransaction();
        Databases.AddVisits(_writer, transaction, at ?? VisitsFile.Start, visits);
        transaction.Commit();
        _visits += visits;
    }

    /// <summary>One visit a commit, each in an hour of its own (a row, so a frame or two), until <paramref name="done"/>.</summary>
    private void CommitUntil(Func<bool> done, string what)
    {
        const int MostCommits = 5000;
        // No flush per commit: the same frames in the WAL, many commits in a second.
        _writer.Execute("PRAGMA synchronous = NORMAL;");
        for (var i = 0; !done(); i++)
        {
            Assert.True(i < MostCommits, $"no {what} after {MostCommits} commits");
            Commit(1, VisitsFile.Start.AddHours(_visits));
        }
    }

    /// <summary>Where the WAL's committed frames end now.</summary>
    private WalPosition Position() => Assert.IsType<WalRead.Committed>(WriteAheadLog.ReadCommitted(Database, null)).Next!.Value;

    /// <summary><c>restore</c> from the store alone, into a pod of its own: the visits it brought back.</summary>
    private async Task<long> RestoreAsync()
    {
        var restored = _dir.File("restore/visits.db");
        Directory.CreateDirectory(Path.GetDirectoryName(restored)!);
        Assert.Equal(0, await RestoreCommand.RunAsync([$"--Backup:DatabasePath={restored}", $"--Backup:Directory={_dir.File("restore/backups")}", .. _store.Args()]));
        return Databases.StoredVisits(restored);
    }

    /// <summary>Commits, then waits until the store holds every commit    /// <summary>Commits, then waits until the store holds every commit: a pass may ship them together or one by one.</summary>
    private async Task<ShippingStatus> CommitAndShipAsync(SidecarHost sidecar, params long[] commits)
    {
        foreach (var visits in commits)
        {
            Commit(visits);
        }

        return await UntilCaughtUpAsync(sidecar);
    }

    /// <summary>Waits until the last segment confirmed ends where the WAL's committed frames end.</summary>
    private Task<ShippingStatus> UntilCaughtUpAsync(SidecarHost sidecar) => sidecar.UntilShippedAsync(
        s => s.LastObject?.Split('/')[^1] is { } name && ShippedSegment.Parse(name)?.End == (WriteAheadLog.ReadCommitted(Database, null) as WalRead.Committed)?.Next,
        "the store to hold every commit");

    private long WalFrames() => File.Exists(Database + "-wal") ? Math.Max(0, new FileInfo(Database + "-wal").Length - WriteAheadLog.HeaderBytes) / FrameBytes : 0;

    /// <param name="args">After the remote settings, so they can override them (an endpoint through a proxy).</param>
    private Task<SidecarHost> StartAsync(params string[] args) =>
        SidecarHost.StartAsync(Database, Backups, _time, [.. _store.Args(), "--Backup:Remote:SyncInterval=00:00:00.100", .. args]);

    private static List<string> Writes(IEnumerable<string> log) =>
        [.. log.Select(request => request.Split(' ')[0]).Where(method => method is not ("GET" or "HEAD"))];
}
