using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MoscowTime.ServiceDefaults;

public enum MetricKind
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>One of our .NET instruments under the Prometheus name, type and labels it is exported as.</summary>
/// <param name="Labels">The instrument's tag names; a tag's label is its name with dots as underscores (http.route: http_route).</param>
/// <remarks>A histogram's buckets come from the instrument's advice, declared once where it is created.</remarks>
public sealed record ExportedMetric(string Meter, string Instrument, MetricKind Kind, string Name, string Help, params string[] Labels);

/// <summary>One app's /metrics: its own <see cref="IMeterFactory"/>'s instruments under its table's names, and process CPU and memory.</summary>
/// <remarks>
/// Not a library: alerts need series at 0 from process start (so the first event is an increase),
/// named the way PromQL users expect, and only this app's meters (tests run several apps in one
/// process). No reflection, so it runs the same under Native AOT.
/// </remarks>
public sealed class PrometheusExporter : IDisposable
{
    private readonly Family[] _families;
    private readonly MeterListener _listener = new();

    public PrometheusExporter(IMeterFactory meterFactory, IEnumerable<ExportedMetric> table)
    {
        _families = [.. table.Select(metric => new Family(metric))];
        var byInstrument = _families.ToDictionary(family => (family.Metric.Meter, family.Metric.Instrument));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meterFactory) && byInstrument.TryGetValue((instrument.Meter.Name, instrument.Name), out var family))
            {
                family.Published(instrument);
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, family) => ((Family)family!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, family) => ((Family)family!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, family) => ((Family)family!).Record(instrument, value, tags));
        _listener.Start();
    }

    public Task WriteAsync(HttpContext context)
    {
        // Observable instruments report when asked: ask just before each scrape.
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        foreach (var family in _families)
        {
            family.WriteTo(text);
        }

        Header(text, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
        Line(text, "process_cpu_seconds_total", "", Environment.CpuUsage.TotalTime.TotalSeconds);
        Header(text, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        Line(text, "process_resident_memory_bytes", "", Environment.WorkingSet);
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text.ToString(), context.RequestAborted);
    }

    public void Dispose() => _listener.Dispose();

    private static void Header(StringBuilder text, string name, string type, string help) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder text, string name, string labels, double value) =>
        text.Append(name).Append(labels.Length == 0 ? "" : $"{{{labels}}}").Append(' ').Append(Format(value)).Append('\n');

    private static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>One exported metric: its series by their label text (<c>peer="a",reason="b"</c>, empty without labels).</summary>
    private sealed class Family(ExportedMetric metric)
    {
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private double[] _buckets = [];

        public ExportedMetric Metric => metric;

        /// <summary>Series without labels start at 0; a histogram's wait for its instrument, whose advice holds the buckets.</summary>
        public void Published(Instrument instrument)
        {
            if (metric.Kind == MetricKind.Histogram)
            {
                _buckets = instrument switch
                {
                    Histogram<int> { Advice.HistogramBucketBoundaries: { } advised } => [.. advised.Select(bucket => (double)bucket)],
                    Histogram<double> { Advice.HistogramBucketBoundaries: { } advised } => [.. advised],
                    _ => throw new InvalidOperationException($"{instrument.Meter.Name}/{instrument.Name} advises no buckets"),
                };
            }

            if (metric.Labels.Length == 0)
            {
                _series.GetOrAdd("", static (_, buckets) => new Series(buckets), _buckets);
            }
        }

        public void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var series = _series.GetOrAdd(LabelText(tags), static (_, buckets) => new Series(buckets), _buckets);
            lock (series)
            {
                switch (metric.Kind)
                {
                    // An observable counter reports its running total; a gauge, its current value.
                    case MetricKind.Counter when !instrument.IsObservable:
                        series.Value += value;
                        break;
                    case MetricKind.Counter or MetricKind.Gauge:
                        series.Value = value;
                        break;
                    case MetricKind.Histogram:
                        series.Observe(value);
                        break;
                }
            }
        }

        public void WriteTo(StringBuilder text)
        {
            Header(text, metric.Name, metric.Kind.ToString().ToLowerInvariant(), metric.Help);
            foreach (var (labels, series) in _series.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                lock (series)
                {
                    if (metric.Kind != MetricKind.Histogram)
                    {
                        Line(text, metric.Name, labels, series.Value);
                        continue;
                    }

                    var separator = labels.Length == 0 ? "" : ",";
                    long cumulative = 0;
                    for (var i = 0; i < series.Counts.Length; i++)
                    {
                        cumulative += series.Counts[i];
                        var bound = i < _buckets.Length ? Format(_buckets[i]) : "+Inf";
                        Line(text, metric.Name + "_bucket", $"{labels}{separator}le=\"{bound}\"", cumulative);
                    }

                    Line(text, metric.Name + "_sum", labels, series.Value);
                    Line(text, metric.Name + "_count", labels, cumulative);
                }
            }
        }

        /// <summary>The metric's labels in the order of its table, those without a value left out.</summary>
        private string LabelText(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (metric.Labels.Length == 0)
            {
                return "";
            }

            var text = new StringBuilder();
            foreach (var label in metric.Labels)
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == label && tag.Value?.ToString() is { Length: > 0 } value)
                    {
                        text.Append(text.Length == 0 ? "" : ",").Append(label.Replace('.', '_')).Append("=\"")
                            .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
                                .Replace("\n", "\\n", StringComparison.Ordinal))
                            .Append('"');
                    }
                }
            }

            return text.ToString();
        }
    }

    /// <summary>A counter's or gauge's value, or a histogram's sum with its count per bucket (the last one +Inf).</summary>
    private sealed class Series(double[] buckets)
    {
        public double Value { get; set; }
        public long[] Counts { get; } = new long[buckets.Length + 1];

        public void Observe(double value)
        {
            var bucket = Array.FindIndex(buckets, bound => value <= bound);
            Counts[bucket < 0 ? buckets.Length : bucket]++;
            Value += value;
        }
    }
}
