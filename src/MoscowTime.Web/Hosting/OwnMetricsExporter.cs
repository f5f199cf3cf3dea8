using System.Diagnostics.Metrics;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using Prometheus;

namespace MoscowTime.Web.Hosting;

/// <summary>
/// Exports our own meters (the store's and the cluster's) under Prometheus names and types.
/// </summary>
/// <remarks>
/// prometheus-net's meter adapter would export a counter as a gauge, without <c>_total</c> and
/// without a unit, and only once the first measurement arrives. Alerts need the opposite: a
/// counter that is there at 0 from process start (so the first rejection is an increase, not a
/// new series) and named the way PromQL users expect. The .NET instruments stay the
/// instrumentation API; this table is the one place where their Prometheus names are decided.
/// </remarks>
internal static class OwnMetricsExporter
{
    private static readonly Counter VisitsRecorded = Prometheus.Metrics.CreateCounter(
        "moscowtime_visits_recorded_total", "Visits committed to disk.");

    private static readonly Counter VisitsRejected = Prometheus.Metrics.CreateCounter(
        "moscowtime_visits_rejected_total", "Visits refused with a 503 (queue full, commit failed, shutting down).");

    private static readonly Counter PeerCallFailures = Prometheus.Metrics.CreateCounter(
        "moscowtime_cluster_peer_call_failures_total", "Peers that did not answer with a count.", "peer", "reason");

    private static readonly Gauge PeersUnanswered = Prometheus.Metrics.CreateGauge(
        "moscowtime_cluster_peers_unanswered", "Peers that did not answer the last time this pod asked them (0 without peers).");

    private static readonly Dictionary<(string Meter, string Instrument), Func<Instrument, Sink>> Sinks = new()
    {
        [(StorageMetrics.MeterName, "recorded")] = _ => new CounterSink(VisitsRecorded),
        [(StorageMetrics.MeterName, "rejected")] = _ => new CounterSink(VisitsRejected),
        [(StorageMetrics.MeterName, "batch_size")] = instrument => HistogramSink.For(instrument,
            "moscowtime_visits_batch_size", "Visits committed per transaction."),
        [(StorageMetrics.MeterName, "commit_duration")] = instrument => HistogramSink.For(instrument,
            "moscowtime_visits_commit_duration_seconds", "Time to commit one batch, fsync included."),
        [(ClusterMetrics.MeterName, "peer_call_duration")] = instrument => HistogramSink.For(instrument,
            "moscowtime_cluster_peer_call_duration_seconds", "Time to ask one peer for its count, retry included.", "peer"),
        [(ClusterMetrics.MeterName, "peer_call_failures")] = _ => new CounterSink(PeerCallFailures),
        [(ClusterMetrics.MeterName, "peers_unanswered")] = _ => new GaugeSink(PeersUnanswered),
    };

    private static readonly Dictionary<(string, string), Sink> Created = [];
    private static readonly MeterListener Listener = new();
    private static int _started;

    /// <summary>Starts the one listener of the process; in-process test hosts share it.</summary>
    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            return;
        }

        var listener = Listener;
        listener.InstrumentPublished = (instrument, l) =>
        {
            var key = (instrument.Meter.Name, instrument.Name);
            if (!Sinks.TryGetValue(key, out var create))
            {
                return;
            }

            Sink sink;
            lock (Created)
            {
                // Each app instance has its own Meter; all of them feed the one exported series.
                if (!Created.TryGetValue(key, out sink!))
                {
                    sink = Created[key] = create(instrument);
                }
            }

            l.EnableMeasurementEvents(instrument, sink);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Sink)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Sink)state!).Record(value, tags));
        listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Sink)state!).Record(value, tags));
        listener.Start();
        // Observable gauges report when asked: ask just before each scrape.
        Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(listener.RecordObservableInstruments);
    }

    private abstract class Sink
    {
        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

        protected static string[] LabelValues(string[] names, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var values = new string[names.Length];
            for (var i = 0; i < names.Length; i++)
            {
                values[i] = "";
                foreach (var tag in tags)
                {
                    if (tag.Key == names[i])
                    {
                        values[i] = tag.Value?.ToString() ?? "";
                    }
                }
            }

            return values;
        }
    }

    private sealed class CounterSink(Counter counter) : Sink
    {
        private readonly string[] _labels = counter.LabelNames;

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (_labels.Length == 0)
            {
                counter.Inc(value);
            }
            else
            {
                counter.WithLabels(LabelValues(_labels, tags)).Inc(value);
            }
        }
    }

    private sealed class GaugeSink(Gauge gauge) : Sink
    {
        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => gauge.Set(value);
    }

    private sealed class HistogramSink(Histogram histogram) : Sink
    {
        private readonly string[] _labels = histogram.LabelNames;

        /// <summary>A histogram with the buckets its instrument advises, declared once on the instrument.</summary>
        public static HistogramSink For(Instrument instrument, string name, string help, params string[] labels)
        {
            double[]? buckets = instrument switch
            {
                Histogram<int> { Advice.HistogramBucketBoundaries: { } advised } => [.. advised.Select(bucket => (double)bucket)],
                Histogram<double> { Advice.HistogramBucketBoundaries: { } advised } => [.. advised],
                _ => null,
            };
            return new HistogramSink(Prometheus.Metrics.CreateHistogram(name, help, new HistogramConfiguration
            {
                LabelNames = labels,
                Buckets = buckets ?? throw new InvalidOperationException($"{instrument.Meter.Name}/{instrument.Name} advises no buckets"),
            }));
        }

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (_labels.Length == 0)
            {
                histogram.Observe(value);
            }
            else
            {
                histogram.WithLabels(LabelValues(_labels, tags)).Observe(value);
            }
        }
    }
}
