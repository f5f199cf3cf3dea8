using System.Diagnostics.Metrics;

namespace MoscowTime.Web.Cluster;

public sealed class ClusterMetrics
{
    public const string MeterName = "MoscowTime.Cluster";

    public ClusterMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        CallDuration = meter.CreateHistogram<double>("peer_call_duration", "s", "Time to ask one peer for its count, retry included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5] });
        Failures = meter.CreateCounter<long>("peer_call_failures", "{call}", "Peers that did not answer with a count.");
        // A gauge as well as the counter: "incomplete for long" is a state to alert on, at 0 from the start.
        meter.CreateObservableGauge("peers_unanswered", () => Volatile.Read(ref _unanswered), "{peer}",
            "Peers that did not answer the last time this pod asked them.");
    }

    private int _unanswered;

    public Histogram<double> CallDuration { get; }
    public Counter<long> Failures { get; }

    /// <summary>Peers that did not answer the latest fan-out.</summary>
    public void ReportUnanswered(int peers) => Volatile.Write(ref _unanswered, peers);
}
