using System.Diagnostics;
using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using Polly;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// One pass of the upload loop: send the newest verified local backup unless the store already
/// holds it, confirm that the store holds exactly that file, then prune this pod's objects. Used by
/// one thread only.
/// </summary>
/// <remarks>
/// Only the newest backup is sent: older ones are history the store already has, or that it would
/// receive out of order. A pass that fails leaves the backup for the next pass. A stored object that
/// does not read back as the local file is deleted, and restore would skip it anyway: its bytes do
/// not match the SHA-256 in its metadata.
/// </remarks>
public sealed partial class RemoteUploader
{
    /// <summary>Until shipping replaces these uploads: the old Backup:Remote:Retain default.</summary>
    private const int Keep = 24;

    private readonly ObjectStore _store;
    private readonly BackupCatalog _catalog;
    private readonly BackupState _local;
    private readonly BackupState _state;
    private readonly RemoteOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<RemoteUploader> _logger;
    private readonly ResiliencePipeline _pipeline;
    private readonly ResiliencePipeline _once;

    /// <summary>The newest backup this process has confirmed in the store.</summary>
    private string? _confirmed;
    private string? _reportedError;

    public RemoteUploader(ObjectStore store, BackupCatalog catalog, BackupState local, [FromKeyedServices(BackupState.Remote)] BackupState state,
        IOptions<RemoteOptions> options, TimeProvider time, ILogger<RemoteUploader> logger)
    {
        _store = store;
        _catalog = catalog;
        _local = local;
        _state = state;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _pipeline = Retries.Create(_options.AttemptTimeout, _options.RetryDelay, RemoteFailure.IsTransient, time, arguments =>
            LogRetrying(logger, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalMilliseconds, Describe(arguments.Outcome.Exception)));
        _once = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(_options.AttemptTimeout).Build();
    }

    /// <param name="retry">False for the pass at shutdown: one attempt per request, as the grace period is short.</param>
    public async Task RunAsync(bool retry, CancellationToken cancellationToken)
    {
        try
        {
            await UploadNewestAsync(retry ? _pipeline : _once, cancellationToken);
            if (_reportedError is not null)
            {
                LogRecovered(_logger, _store.Location.ToString());
                _reportedError = null;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            var reason = Describe(ex);
            _state.Failed(reason);
            if (reason != _reportedError)
            {
                LogFailed(_logger, reason);
                _reportedError = reason;
            }
        }
    }

    private async Task UploadNewestAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        // Read before listing: the backups hold every commit as of this moment, whatever comes next.
        var upToDateAt = _local.Status.UpToDateAt;
        if (_catalog.List() is not [var newest, ..])
        {
            _state.Skipped(upToDateAt, nothingToBackUp: "no local backup to upload yet");
            return;
        }

        if (newest.Name == _confirmed)
        {
            _state.Skipped(upToDateAt, newest);
            return;
        }

        // One open handle for the hashes and every attempt to send: the local loop may prune this
        // backup meanwhile (a small Backup:Retain), and the handle still reads the same bytes.
        await using var file = File.OpenRead(newest.Path);
        var digests = ObjectStore.DigestsOf(file);
        // Only a process that has confirmed nothing yet can find its newest backup already stored
        // (sent before a restart); after that, every newest backup has a name never sent before.
        if (_confirmed is null)
        {
            var (exists, recorded) = await pipeline.ExecuteAsync(async token => await _store.HeadAsync(newest.Name, token), cancellationToken);
            if (exists && recorded == digests.Sha256)
            {
                LogAlreadyStored(_logger, newest.Name, _store.Location.ToString());
                await ConfirmAsync(pipeline, newest, upToDateAt, upload: null, cancellationToken);
                return;
            }
        }

        var started = _time.GetTimestamp();
        var vouched = await pipeline.ExecuteAsync(async token => await _store.PutAsync(newest.Name, file, digests, token), cancellationToken);
        // Why an ETag may stand in for reading the object back: for a single-part PUT without
        // SSE-KMS or SSE-C, AWS S3, MinIO, R2, Ceph RGW and s3rver make the ETag the MD5 of the bytes
        // they stored, so an ETag equal to the local file's MD5 says the store holds that file; a
        // body changed on the way or kept undecoded (aws-chunked signatures inside) has another MD5.
        // It halves the bytes each upload moves. Any other ETag proves nothing either way (an
        // SSE-KMS object's is not an MD5), so the full read-back decides.
        var confirmation = "ETag (the store's MD5 of it)";
        if (!vouched)
        {
            confirmation = "read-back (the ETag is not the file's MD5)";
            var (received, stored) = await ReadBackAsync(pipeline, newest.Name, cancellationToken);
            if (received != digests.Sha256 || stored != digests.Sha256)
            {
                await TryDeleteAsync(newest.Name);
                throw new RemoteMismatchException(
                    $"{_store.Location}{newest.Name} does not read back as {newest.Name}: SHA-256 {received} stored, {digests.Sha256} sent " +
                    "(the store altered the object, or did not decode the upload); deleted, retried next pass");
            }
        }

        var duration = _time.GetElapsedTime(started);
        LogUploaded(_logger, newest.Name, _store.Location.ToString(), newest.Size, confirmation, duration.TotalMilliseconds);
        await ConfirmAsync(pipeline, newest, upToDateAt, duration, cancellationToken);
    }

    private async Task<(string Received, string? Stored)> ReadBackAsync(ResiliencePipeline pipeline, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await pipeline.ExecuteAsync(async token => await _store.ReadBackAsync(name, token), cancellationToken);
        }
        catch (RemoteMismatchException)
        {
            await TryDeleteAsync(name);
            throw;
        }
    }

    /// <summary>Prunes, then records the confirmed object: a pruning that fails is logged and left for the next upload.</summary>
    /// <param name="upload">How long the upload and its confirmation took; null when the store held the object already.</param>
    private async Task ConfirmAsync(ResiliencePipeline pipeline, BackupFile backup, DateTimeOffset? upToDateAt, TimeSpan? upload,
        CancellationToken cancellationToken)
    {
        _confirmed = backup.Name;
        try
        {
            await PruneAsync(pipeline, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogPruneFailed(_logger, _store.Location.ToString(), Describe(ex));
        }

        if (upload is { } duration)
        {
            _state.Took(backup, upToDateAt, duration);
        }
        else
        {
            _state.Skipped(upToDateAt, backup);
        }
    }

    /// <summary>Keeps the newest Backup:Remote:Retain of this pod's objects; leaves alone any object whose name we did not make.</summary>
    private async Task PruneAsync(ResiliencePipeline pipeline, CancellationToken cancellationToken)
    {
        var objects = await pipeline.ExecuteAsync(async token => await _store.ListAsync(token), cancellationToken);
        var ours = objects
            .Select(o => (Object: o, TakenAt: _catalog.TakenAt(o.Name)))
            .Where(o => o.TakenAt is not null)
            .OrderByDescending(o => o.TakenAt)
            .Skip(Keep);
        foreach (var (expired, _) in ours)
        {
            await pipeline.ExecuteAsync(async token => await _store.DeleteAsync(expired.Name, token), cancellationToken);
            LogPruned(_logger, expired.Key, Keep);
        }
    }

    /// <summary>One attempt, within Backup:Remote:AttemptTimeout on the injected clock.</summary>
    private async Task TryDeleteAsync(string name)
    {
        try
        {
            await _once.ExecuteAsync(async token => await _store.DeleteAsync(name, token), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Restore skips it anyway: its bytes do not match its recorded SHA-256.
            LogDeleteFailed(_logger, name, Describe(ex));
        }
    }

    private string Describe(Exception? exception) => RemoteFailure.Describe(exception, _options, _store.Location);

    [LoggerMessage(LogLevel.Information, "Uploaded {File} to {Location}: {Bytes} bytes, confirmed by {Confirmation}, {Milliseconds:F0} ms")]
    private static partial void LogUploaded(ILogger logger, string file, string location, long bytes, string confirmation, double milliseconds);

    [LoggerMessage(LogLevel.Information, "{File} is already in {Location} with the same SHA-256; not uploading it again")]
    private static partial void LogAlreadyStored(ILogger logger, string file, string location);

    [LoggerMessage(LogLevel.Information, "Deleted {Key}: Backup:Remote:Retain keeps the newest {Retain}")]
    private static partial void LogPruned(ILogger logger, string key, int retain);

    [LoggerMessage(LogLevel.Warning, "Could not prune {Location}: {Reason}. The next upload tries again")]
    private static partial void LogPruneFailed(ILogger logger, string location, string reason);

    [LoggerMessage(LogLevel.Warning, "Upload attempt {Attempt} follows in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string reason);

    [LoggerMessage(LogLevel.Error, "Remote backup failed: {Reason}. Local backups go on; the next pass tries again")]
    private static partial void LogFailed(ILogger logger, string reason);

    [LoggerMessage(LogLevel.Warning, "Could not delete the mismatched object {File}: {Reason}")]
    private static partial void LogDeleteFailed(ILogger logger, string file, string reason);

    [LoggerMessage(LogLevel.Information, "Remote backups to {Location} work again")]
    private static partial void LogRecovered(ILogger logger, string location);
}
