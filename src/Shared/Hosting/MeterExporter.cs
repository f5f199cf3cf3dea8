using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Prometheus;

namespace MoscowTime.Hosting;

internal enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One of our .NET instruments under the Prometheus name, type and labels it is exported as.</summary>
/// <param name="Labels">The instrument's tag names; a tag's label is its name with dots as underscores (http.route: http_route).</param>
internal sealed record ExportedMetric(string Meter, string Instrument, MetricKind Kind, string Name, string Help, params string[] Labels)
{
    public string[] LabelNames => [.. Labels.Select(tag => tag.Replace('.', '_'))];

    public static ExportedMetric Counter(string meter, string instrument, string name, string help, params string[] labels) =>
        new(meter, instrument, MetricKind.Counter, name, help, labels);

    public static ExportedMetric Gauge(string meter, string instrument, string name, string help) =>
        new(meter, instrument, MetricKind.Gauge, name, help);

    /// <summary>Buckets come from the instrument's advice, declared once where it is created.</summary>
    public static ExportedMetric Histogram(string meter, string instrument, string name, string help, params string[] labels) =>
        new(meter, instrument, MetricKind.Histogram, name, help, labels);
}

/// <summary>
/// One app's /metrics: the instruments its own <see cref="IMeterFactory"/> created, exported into a
/// registry of its own under the names of its table. Both apps set it up the same way
/// (<see cref="MetricsSetup"/>). Shared as a linked source file; internal so each app keeps its own copy.
/// </summary>
/// <remarks>
/// prometheus-net's meter adapter would export a counter as a gauge, without <c>_total</c>, and only
/// once the first measurement arrives. Alerts need counters and gauges there at 0 from process start
/// (so the first event is an increase, not a new series), named the way PromQL users expect. Meters
/// from another app's factory never reach this exporter: tests run several apps in one process, and
/// each must report its own counts.
/// </remarks>
internal sealed class MeterExporter : IDisposable
{
    private readonly IMeterFactory _meterFactory;
    private readonly Dictionary<(string Meter, string Instrument), ExportedMetric> _table;
    private readonly Dictionary<string, Sink> _sinks = [];
    private readonly MetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly List<IDisposable> _owned = [];

    public MeterExporter(IMeterFactory meterFactory, IEnumerable<ExportedMetric> table)
    {
        _meterFactory = meterFactory;
        _table = table.ToDictionary(metric => (metric.Meter, metric.Instrument));
        Registry = Prometheus.Metrics.NewCustomRegistry();
        _factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // prometheus-net's default builds an exemplar from Activity.Current for every observation, and
        // the text format Prometheus scrapes by default never shows one: that was a cost per request.
        _factory.ExemplarBehavior = new ExemplarBehavior { DefaultExemplarProvider = (_, _) => Exemplar.None };
        // Counters and gauges exist from the start, at 0; histograms wait for their instrument,
        // whose advice holds the buckets.
        foreach (var metric in _table.Values)
        {
            if (metric.Kind == MetricKind.Counter)
            {
                _sinks[metric.Name] = new CounterSink(_factory.CreateCounter(metric.Name, metric.Help, metric.LabelNames), metric.Labels);
            }
            else if (metric.Kind == MetricKind.Gauge)
            {
                _sinks[metric.Name] = new GaugeSink(_factory.CreateGauge(metric.Name, metric.Help));
            }
        }

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (IsOurs(instrument.Meter) && _table.TryGetValue((instrument.Meter.Name, instrument.Name), out var metric))
            {
                listener.EnableMeasurementEvents(instrument, SinkFor(instrument, metric));
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => ((Sink)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, state) => ((Sink)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => ((Sink)state!).Record(instrument, value, tags));
        _listener.Start();
        // Observable instruments report when asked: ask just before each scrape.
        Registry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    public CollectorRegistry Registry { get; }

    /// <summary>A meter of this app: created by its own factory, not another app's in the same process.</summary>
    public bool IsOurs(Meter meter) => ReferenceEquals(meter.Scope, _meterFactory);

    /// <summary>Where an app's other exporters (prometheus-net's) put their series, beside ours.</summary>
    public IMetricFactory MetricFactory => _factory;

    /// <summary>Something that feeds <see cref="Registry"/> and ends with this exporter.</summary>
    public void Own(IDisposable disposable) => _owned.Add(disposable);

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }

    private Sink SinkFor(Instrument instrument, ExportedMetric metric)
    {
        lock (_sinks)
        {
            if (!_sinks.TryGetValue(metric.Name, out var sink))
            {
                double[]? buckets = instrument switch
                {
                    Histogram<int> { Advice.HistogramBucketBoundaries: { } advised } => [.. advised.Select(bucket => (double)bucket)],
                    Histogram<double> { Advice.HistogramBucketBoundaries: { } advised } => [.. advised],
                    _ => null,
                };
                sink = _sinks[metric.Name] = new HistogramSink(_factory.CreateHistogram(metric.Name, metric.Help, new HistogramConfiguration
                {
                    LabelNames = metric.LabelNames,
                    Buckets = buckets ?? throw new InvalidOperationException($"{instrument.Meter.Name}/{instrument.Name} advises no buckets"),
                }), metric.Labels);
            }

            return sink;
        }
    }

    private abstract class Sink
    {
        public abstract void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);
    }

    /// <summary>
    /// A labelled metric's series by their tag values. prometheus-net's WithLabels allocates and hashes
    /// strings on every call, and ASP.NET Core's request duration records once per request: the values
    /// (the same string and boxed-number instances, request after request) find their series here
    /// without an allocation.
    /// </summary>
    private sealed class Series<TChild>
        where TChild : class
    {
        private readonly ConcurrentDictionary<TagValues, TChild> _children = new();
        private readonly string[] _tags;
        private readonly Func<string[], TChild> _create;

        public Series(string[] tags, Func<string[], TChild> create)
        {
            if (tags.Length > TagValues.Max)
            {
                throw new InvalidOperationException($"at most {TagValues.Max} labels per metric, not {tags.Length}");
            }

            _tags = tags;
            _create = create;
        }

        public TChild For(ReadOnlySpan<KeyValuePair<string, object?>> recorded)
        {
            var key = new TagValues(_tags, recorded);
            return _children.TryGetValue(key, out var child) ? child : _children.GetOrAdd(key, k => _create(k.ToLabelValues(_tags.Length)));
        }
    }

    private sealed class CounterSink(Counter counter, string[] tags) : Sink
    {
        private readonly Series<Counter.Child>? _series = tags.Length == 0 ? null : new(tags, counter.WithLabels);

        public override void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = _series is null ? (ICounter)counter : _series.For(tags);
            if (instrument.IsObservable)
            {
                // An observable counter reports its running total.
                series.IncTo(value);
            }
            else
            {
                series.Inc(value);
            }
        }
    }

    private sealed class GaugeSink(Gauge gauge) : Sink
    {
        public override void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => gauge.Set(value);
    }

    private sealed class HistogramSink(Histogram histogram, string[] tags) : Sink
    {
        private readonly Series<Histogram.Child>? _series = tags.Length == 0 ? null : new(tags, histogram.WithLabels);

        public override void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (_series is null)
            {
                histogram.Observe(value);
            }
            else
            {
                _series.For(tags).Observe(value);
            }
        }
    }

    /// <summary>The values of a metric's tags in the order of its labels; an absent tag is null (an empty label).</summary>
    private readonly struct TagValues : IEquatable<TagValues>
    {
        public const int Max = 8;

        private readonly Values _values;
        private readonly int _hash;

        /// <param name="names">At most <see cref="Max"/>, checked once by <see cref="Series{TChild}"/>.</param>
        public TagValues(string[] names, ReadOnlySpan<KeyValuePair<string, object?>> recorded)
        {
            var hash = default(HashCode);
            for (var i = 0; i < names.Length; i++)
            {
                foreach (var tag in recorded)
                {
                    if (tag.Key == names[i])
                    {
                        _values[i] = tag.Value;
                        break;
                    }
                }

                hash.Add(_values[i]);
            }

            _hash = hash.ToHashCode();
        }

        public string[] ToLabelValues(int count)
        {
            var labels = new string[count];
            for (var i = 0; i < count; i++)
            {
                labels[i] = _values[i]?.ToString() ?? "";
            }

            return labels;
        }

        public bool Equals(TagValues other)
        {
            for (var i = 0; i < Max; i++)
            {
                if (!Equals(_values[i], other._values[i]))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is TagValues other && Equals(other);

        public override int GetHashCode() => _hash;

        [InlineArray(Max)]
        private struct Values
        {
            private object? _first;
        }
    }
}
