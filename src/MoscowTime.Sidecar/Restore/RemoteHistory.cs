using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Sidecar.Files;
using MoscowTime.Sidecar.Remote;
using MoscowTime.Storage;
using Polly;

namespace MoscowTime.Sidecar.Restore;

/// <summary>What this pod's folder in the store offered a restore.</summary>
public abstract record RemoteFind
{
    /// <summary>The store answered and holds no backup of this pod: a new pod.</summary>
    public sealed record Empty : RemoteFind;

    /// <summary>Every object failed verification; each was logged.</summary>
    public sealed record NoneUsable(int Count) : RemoteFind;

    /// <summary>A downloaded, verified copy at <paramref name="Path"/>; the caller places it and deletes it.</summary>
    public sealed record Found(string Name, string Path, DatabaseCheck Check) : RemoteFind;
}

/// <summary>The store could not be asked (unreachable, 403, no bucket): one line naming the cause.</summary>
public sealed class RemoteUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>
/// This pod's history in the object store (registered only when a remote is configured), for a
/// restore onto a volume with nothing usable: the objects newest first, each downloaded and checked
/// (SHA-256 against its metadata, integrity_check, schema version) until one passes.
/// </summary>
public sealed partial class RemoteHistory : IDisposable
{
    private readonly RemoteOptions _options;
    private readonly BackupCatalog _catalog;
    private readonly ILogger<RemoteHistory> _logger;
    private readonly ObjectStore _store;
    private readonly ResiliencePipeline _pipeline;

    public RemoteHistory(IOptions<RemoteOptions> options, IConfiguration configuration, BackupCatalog catalog, TimeProvider time,
        ILogger<RemoteHistory> logger)
    {
        _options = options.Value;
        _catalog = catalog;
        _logger = logger;
        _store = new ObjectStore(_options, configuration);
        _pipeline = Retries.Create(_options.AttemptTimeout, _options.RetryDelay, RemoteFailure.IsTransient, time, arguments =>
            LogRetrying(logger, arguments.AttemptNumber + 1, arguments.RetryDelay.TotalMilliseconds, Describe(arguments.Outcome.Exception)));
    }

    public string Location => _store.Location.ToString();

    /// <param name="directory">Where the downloads go: beside the database, so placing it is a rename on one file system.</param>
    /// <exception cref="RemoteUnavailableException">The store cannot be listed or an object cannot be fetched.</exception>
    public async Task<RemoteFind> FindNewestUsableAsync(string directory, CancellationToken cancellationToken)
    {
        var objects = await AskAsync(async token => await _store.ListAsync(token), cancellationToken);
        var ours = objects
            .Select(o => (Object: o, TakenAt: _catalog.TakenAt(o.Name)))
            .Where(o => o.TakenAt is not null)
            .OrderByDescending(o => o.TakenAt)
            .Select(o => o.Object)
            .ToList();
        if (ours.Count == 0)
        {
            return new RemoteFind.Empty();
        }

        Directory.CreateDirectory(directory);
        foreach (var candidate in ours)
        {
            var download = Path.Combine(directory, $".{candidate.Name}.remote.tmp");
            try
            {
                var (received, recorded) = await AskAsync(async token => await _store.DownloadAsync(candidate.Name, download, token), cancellationToken);
                var problem = recorded is null ? "it carries no SHA-256 in its metadata (not an upload the sidecar confirmed)"
                    : received != recorded ? $"its bytes have SHA-256 {received}, its metadata says {recorded}"
                    : DatabaseVerifier.Check(download) is { IsUsableBackup: false } check ? check.WhyNotUsable
                    : null;
                if (problem is null)
                {
                    return new RemoteFind.Found(candidate.Name, download, DatabaseVerifier.Check(download));
                }

                LogSkipped(_logger, candidate.Key, problem);
                DurableFile.TryDelete(download);
            }
            catch (RemoteUnavailableException ex) when (ex.InnerException is RemoteMismatchException mismatch)
            {
                LogSkipped(_logger, candidate.Key, mismatch.Message);
                DurableFile.TryDelete(download);
            }
            catch
            {
                DurableFile.TryDelete(download);
                throw;
            }
        }

        return new RemoteFind.NoneUsable(ours.Count);
    }

    public void Dispose() => _store.Dispose();

    private async Task<T> AskAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _pipeline.ExecuteAsync(call, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new RemoteUnavailableException(Describe(ex), ex);
        }
    }

    private string Describe(Exception? exception) => RemoteFailure.Describe(exception, _options, _store.Location);

    [LoggerMessage(LogLevel.Warning, "Skipping remote backup {Key}: {Problem}")]
    private static partial void LogSkipped(ILogger logger, string key, string? problem);

    [LoggerMessage(LogLevel.Warning, "Asking the store again (attempt {Attempt}) in {DelayMs:F0} ms: {Reason}")]
    private static partial void LogRetrying(ILogger logger, int attempt, double delayMs, string reason);
}
