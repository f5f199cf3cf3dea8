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

        // Stopping cancels the wait or the round in progress; the host takes that as a clean end.
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        do
        {
            await directory.RefreshAsync(stoppingToken);
            var cluster = await view.QueryAsync(stoppingToken);
            if (!cluster.Complete)
            {
                LogIncomplete(logger, string.Join(", ", cluster.Pods.Where(pod => !pod.Ok).Select(pod => $"{pod.Pod}: {pod.Error}")));
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(LogLevel.Information, "Cluster view incomplete: {Silent}")]
    private static partial void LogIncomplete(ILogger logger, string silent);
}
