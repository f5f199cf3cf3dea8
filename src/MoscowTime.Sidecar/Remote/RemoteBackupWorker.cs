using Microsoft.Extensions.Options;
using MoscowTime.Sidecar.Backups;

namespace MoscowTime.Sidecar.Remote;

/// <summary>
/// The upload loop, apart from the local one: it runs after each local pass, on its own task, so an
/// object store that is slow or down never holds up a local backup.
/// </summary>
/// <remarks>
/// Registered before the local backup worker, so the host stops it after that worker's final
/// backup: the stop then makes one last upload, one attempt per request, within the grace period.
/// </remarks>
public sealed partial class RemoteBackupWorker(RemoteUploader uploader, BackupPassSignal trigger, IOptions<RemoteOptions> options,
    ILogger<RemoteBackupWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var location = RemoteLocation.From(options.Value);
        LogStarted(logger, location.ToString(), options.Value.Endpoint ?? "AWS S3", Keep);
        try
        {
            while (true)
            {
                await trigger.WaitAsync(stoppingToken);
                await Task.Run(() => uploader.RunAsync(retry: true, stoppingToken), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the final upload follows in StopAsync.
        }
    }

    /// <param name="cancellationToken">Fires when the host's shutdown timeout has run out.</param>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await uploader.RunAsync(retry: false, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogNoFinalUpload(logger);
        }
    }

    [LoggerMessage(LogLevel.Information, "Uploading verified backups to {Location} ({Endpoint}), keeping {Retain}")]
    private static partial void LogStarted(ILogger logger, string location, string endpoint, int retain);

    private const int Keep = 24;

    [LoggerMessage(LogLevel.Warning, "Stopping without the final upload: the shutdown timeout ran out; the next start uploads it")]
    private static partial void LogNoFinalUpload(ILogger logger);
}
