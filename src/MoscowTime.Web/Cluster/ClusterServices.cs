namespace MoscowTime.Web.Cluster;

public static class ClusterServices
{
    public static IServiceCollection AddCluster(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>()
            .BindConfiguration(ClusterOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IPeerResolver, DnsPeerResolver>();
        services.AddSingleton<PeerDirectory>();
        services.AddSingleton<ClusterMetrics>();
        services.AddSingleton<PeerClient>();
        services.AddSingleton<ClusterView>();
        services.AddHostedService<ClusterRefresher>();
        services.AddHttpClient(PeerClient.HttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Peers are pod IPs on the cluster network: never through a proxy.
                UseProxy = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(1),
                ConnectTimeout = TimeSpan.FromSeconds(1),
            });
        return services;
    }
}
