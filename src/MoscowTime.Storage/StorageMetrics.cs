using System.Diagnostics.Metrics;

namespace MoscowTime.Storage;

/// <summary>The store's instruments; exported by whichever metrics pipeline the host wires up.</summary>
public sealed class StorageMetrics
{
    public const string MeterName = "MoscowTime.Visits";

    public StorageMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        Recorded = meter.CreateCounter<long>("recorded", "{visit}", "Visits committed to disk.");
        Rejected = meter.CreateCounter<long>("rejected", "{visit}", "Visits refused (queue full, commit failed, shutting down).");
        BatchSize = meter.CreateHistogram<int>("batch_size", "{visit}", "Visits committed per transaction.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096] });
        CommitDuration = meter.CreateHistogram<double>("commit_duration", "s", "Time to commit one batch, fsync included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 1] });
    }

    public Counter<long> Recorded { get; }
    public Counter<long> Rejected { get; }
    public Histogram<int> BatchSize { get; }
    public Histogram<double> CommitDuration { get; }
}
