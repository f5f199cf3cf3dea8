using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace MoscowTime.Web.Cluster;

public static class ClusterServices
{
    // One retry, soon after the first attempt, rides over a blip within the fan-out's bound.
    private const int Retries = 1;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(10);
    // A peer's circuit opens once half its calls in the window failed, judged from its second call on.
    private const double BreakingFailureRatio = 0.5;
    private const int BreakingThroughput = 2;
    private static readonly TimeSpan BreakerWindow = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>()
            .BindConfiguration(ClusterOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
        services.AddSingleton<IPeerResolver, DnsPeerResolver>();
        services.AddSingleton<PeerDirectory>();
        services.AddSingleton<ClusterMetrics>();
        services.AddSingleton<PeerClient>();
        services.AddSingleton<ClusterView>();
        services.AddHostedService<ClusterRefresher>();
        services.AddHttpClient(PeerClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(provider => new SocketsHttpHandler
            {
                // Peers are pod IPs on the cluster network: never through a proxy.
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                // A connect outlives a timed-out attempt (it goes on to fill the pool): bound it the same.
                ConnectTimeout = provider.GetRequiredService<IOptions<ClusterOptions>>().Value.PeerTimeout,
            })
            .AddStandardResilienceHandler()
            // One circuit per peer: a dead pod must not cut off the live ones.
            .SelectPipelineByAuthority()
            .Configure((resilience, provider) =>
            {
                // Invalid Cluster options stop the start with their own message; the handler's options,
                // validated at start too, then keep its defaults instead of repeating that message.
                ClusterOptions cluster;
                try
                {
                    cluster = provider.GetRequiredService<IOptions<ClusterOptions>>().Value;
                }
                catch (OptionsValidationException)
                {
                    return;
                }

                resilience.AttemptTimeout.Timeout = cluster.PeerTimeout;
                resilience.TotalRequestTimeout.Timeout = cluster.FanOutTimeout;
                resilience.Retry.MaxRetryAttempts = Retries;
                resilience.Retry.Delay = RetryDelay;
                resilience.Retry.BackoffType = DelayBackoffType.Constant;
                resilience.CircuitBreaker.FailureRatio = BreakingFailureRatio;
                resilience.CircuitBreaker.MinimumThroughput = BreakingThroughput;
                resilience.CircuitBreaker.BreakDuration = cluster.BreakDuration;
                // The handler requires a window of at least two attempts.
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(BreakerWindow.Ticks, 2 * cluster.PeerTimeout.Ticks));
            });
        return services;
    }
}
