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
        new(StorageMetrics.MeterName, "recorded", MetricKind.Counter, "moscowtime_visits_recorded_total", "Visits committed to disk."),
        new(StorageMetrics.MeterName, "rejected", MetricKind.Counter, "moscowtime_visits_rejected_total",
            "Visits refused with a 503 (queue full, commit failed, shutting down)."),
        new(ClusterMetrics.MeterName, "peer_call_failures", MetricKind.Counter, "moscowtime_cluster_peer_call_failures_total",
            "Peers that did not answer with a count.", "peer", "reason"),
        new(ClusterMetrics.MeterName, "peers_unanswered", MetricKind.Gauge, "moscowtime_cluster_peers_unanswered",
            "Peers that did not answer the last time this pod asked them (0 without peers)."),
        new(StorageMetrics.MeterName, "batch_size", MetricKind.Histogram, "moscowtime_visits_batch_size", "Visits committed per transaction."),
        new(StorageMetrics.MeterName, "commit_duration", MetricKind.Histogram, "moscowtime_visits_commit_duration_seconds",
            "Time to commit one batch, fsync included."),
        new(ClusterMetrics.MeterName, "peer_call_duration", MetricKind.Histogram, "moscowtime_cluster_peer_call_duration_seconds",
            "Time to ask one peer for its count, retry included.", "peer"),
        // ASP.NET Core's own instrument, under the name operators' queries and bench/run.sh know it by.
        new(HostingMeter, "http.server.request.duration", MetricKind.Histogram, "microsoft_aspnetcore_hosting_http_server_request_duration",
            "Duration of HTTP server requests, in seconds.", "http.request.method", "http.response.status_code", "http.route",
            "url.scheme", "network.protocol.version", "error.type", "aspnetcore.request.is_unhandled"),
    ];
}
