using System.Diagnostics.Metrics;
using MoscowTime.Hosting;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using Prometheus;

namespace MoscowTime.Web.Hosting;

/// <summary>
/// The web app's /metrics: our meters (the store's and the cluster's) under the Prometheus names
/// alerts are written against, plus prometheus-net's process and runtime figures and, through its
/// meter adapter, the .NET meters of ASP.NET Core (HTTP, Kestrel) and the runtime.
/// </summary>
public static class WebMeters
{
    private static readonly double[] DefaultSecondsBuckets = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 1];

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
        // ASP.NET Core's own instrument, under the name prometheus-net's adapter gave it before: recorded once
        // per request, which the adapter did at about a fifth of GET /'s throughput (bench/run.sh, issue 14).
        ExportedMetric.Histogram(HostingMeter, RequestDuration, "microsoft_aspnetcore_hosting_http_server_request_duration",
            "Duration of HTTP server requests, in seconds.", "http.request.method", "http.response.status_code", "http.route",
            "url.scheme", "network.protocol.version", "error.type", "aspnetcore.request.is_unhandled"),
    ];

    private const string HostingMeter = "Microsoft.AspNetCore.Hosting";
    private const string RequestDuration = "http.server.request.duration";

    public static IServiceCollection AddWebMeters(this IServiceCollection services) =>
        services.AddMoscowTimeMetrics(Exported, (_, exporter) =>
        {
            DotNetStats.Register(exporter.Registry);
            exporter.Own(MeterAdapter.StartListening(new MeterAdapterOptions
            {
                Registry = exporter.Registry,
                MetricFactory = exporter.MetricFactory,
                // This app's meters (another app's in the same process are its own), and the runtime's,
                // which are process-wide.
                InstrumentFilterPredicate = instrument => (instrument.Meter.Scope is null || exporter.IsOurs(instrument.Meter))
                    && instrument.Meter.Name switch
                    {
                        "Microsoft.AspNetCore.Server.Kestrel" or "System.Runtime" or "System.Net.Http" => true,
                        // Request duration is exported by our exporter (Exported, above); the active-requests
                        // gauge would add two more measurements to every request for little.
                        _ => false,
                    },
                // Buckets are declared once, as advice on each instrument (ours and ASP.NET Core's);
                // this adapter predates advice, so it is handed over here.
                ResolveHistogramBuckets = instrument => instrument switch
                {
                    Instrument<int> { Advice.HistogramBucketBoundaries: { } buckets } => [.. buckets.Select(bucket => (double)bucket)],
                    Instrument<double> { Advice.HistogramBucketBoundaries: { } buckets } => [.. buckets],
                    _ => DefaultSecondsBuckets,
                },
            }));
        });
}
