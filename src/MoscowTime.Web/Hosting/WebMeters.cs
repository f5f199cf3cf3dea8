using MoscowTime.ServiceDefaults;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;

namespace MoscowTime.Web.Hosting;

/// <summary>The web app's /metrics: the store's and the cluster's meters, and ASP.NET Core's request durations.</summary>
public static class WebMeters
{
    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";

    /// <summary>The one place where our instruments' Prometheus names are decided: keep them, alerts use them.</summary>
    internal static readonly ExportedMetric[] Exported =
    [
        ExportedMetric.Counter(StorageMetrics.MeterName, "recorded", "moscowtime_visits_recorded_total", "Visits committed to disk."),
        ExportedMetric.Counter(StorageMetrics.MeterName, "rejected", "moscowtime_visits_rejected_total",
            "Visits refused with a 503 (queue full, commit failed, shutting down)."),
        ExportedMetric.Counter(ClusterMetrics.MeterName, "peer_call_failures", "moscowtime_cluster_peer_call_failures_total",
            "Peers that did not answer with a count.", "peer", "reason"),
        ExportedMetric.Gauge(ClusterMetrics.MeterName, "peers_unanswered", "moscowtime_cluster_peers_unanswered",
            "Peers that did not answer the last time this pod asked them (0 without peers)."),
        ExportedMetric.Histogram(StorageMetrics.MeterName, "batch_size", "moscowtime_visits_batch_size", "Visits committed per transaction."),
        ExportedMetric.Histogram(StorageMetrics.MeterName, "commit_duration", "moscowtime_visits_commit_duration_seconds",
            "Time to commit one batch, fsync included."),
        ExportedMetric.Histogram(ClusterMetrics.MeterName, "peer_call_duration", "moscowtime_cluster_peer_call_duration_seconds",
            "Time to ask one peer for its count, retry included.", "peer"),
        // ASP.NET Core's own instrument, under the name operators' queries and bench/run.sh know it by.
        ExportedMetric.Histogram(HostingMeter, "http.server.request.duration", "microsoft_aspnetcore_hosting_http_server_request_duration",
            "Duration of HTTP server requests, in seconds.", "http.request.method", "http.response.status_code", "http.route",
            "url.scheme", "network.protocol.version", "error.type", "aspnetcore.request.is_unhandled"),
    ];
}
