using System.Diagnostics.Metrics;
using Prometheus;

namespace MoscowTime.Web.Hosting;

/// <summary>
/// Prometheus exposition. prometheus-net publishes process and runtime figures itself and, through
/// its meter adapter, the .NET meters of ASP.NET Core (HTTP, Kestrel) and the runtime; ours are
/// exported by <see cref="OwnMetricsExporter"/>.
/// </summary>
public static class Metrics
{
    private static readonly double[] DefaultSecondsBuckets = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 1];

    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        // The adapter is process-wide; in-process test hosts must not stack one per app.
        if (Interlocked.Exchange(ref _adapterStarted, 1) == 0)
        {
            // Event counters would switch on per-request EventSource events in ASP.NET Core hosting;
            // the same figures come from the .NET meters below at a fraction of the cost.
            Prometheus.Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
            {
                SuppressMeters = true,
                SuppressEventCounters = true,
                SuppressDebugMetrics = true,
            });
            MeterAdapter.StartListening(new MeterAdapterOptions
            {
                InstrumentFilterPredicate = instrument => instrument.Meter.Name switch
                {
                    // Ours go through OwnMetricsExporter, under Prometheus names and types.
                    "Microsoft.AspNetCore.Server.Kestrel" or "System.Runtime" or "System.Net.Http" => true,
                    // Request duration carries count, status and route; the active-requests gauge would
                    // add two more measurements to every request for little.
                    "Microsoft.AspNetCore.Hosting" => instrument.Name == "http.server.request.duration",
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
            });
            OwnMetricsExporter.Start();
        }

        return services;
    }

    private static int _adapterStarted;
}
