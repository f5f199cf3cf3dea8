using Microsoft.Extensions.Options;

namespace MoscowTime.Web.Cluster;

/// <summary>Keeps the page's peer table fresh and DNS re-resolved, off the request path.</summary>
public sealed partial class ClusterRefresher(
    PeerDirectory directory, ClusterView view, IOptions<ClusterOptions> options, TimeProvider time, ILogger<ClusterRefresher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!directory.HasPeers)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await directory.RefreshAsync(stoppingToken);
                var cluster = await view.QueryAsync(stoppingToken);
                if (!cluster.Complete)
                {
                    LogIncomplete(logger, string.Join(", ", cluster.Pods.Where(pod => !pod.Ok).Select(pod => $"{pod.Pod}: {pod.Error}")));
                }

                await Task.Delay(options.Value.RefreshInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    [LoggerMessage(LogLevel.Information, "Cluster view incomplete: {Silent}")]
    private static partial void LogIncomplete(ILogger logger, string silent);
}
