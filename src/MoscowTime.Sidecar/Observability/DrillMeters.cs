using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using MoscowTime.ServiceDefaults;
using MoscowTime.Sidecar.Health;
using MoscowTime.Sidecar.Remote;

namespace MoscowTime.Sidecar.Observability;

/// <summary>The restore drill's figures (a remote configured only), read from <see cref="DrillStatus"/> when scraped.</summary>
public sealed class DrillMeters : IDisposable
{
    public const string MeterName = "MoscowTime.Backups.Drill";

    /// <summary>The Prometheus names alerts are written against: keep them.</summary>
    internal static readonly ExportedMetric[] Exported =
    [
        ExportedMetric.Gauge(MeterName, "last_success", "moscowtime_backup_restore_drill_last_success_timestamp_seconds",
            "Unix time of the last restore drill that succeeded (0 before the first)."),
        ExportedMetric.Gauge(MeterName, "duration", "moscowtime_backup_restore_drill_duration_seconds", "Time the last successful restore drill took."),
        ExportedMetric.Gauge(MeterName, "interval", "moscowtime_backup_restore_drill_interval_seconds", "Backup:Remote:DrillInterval."),
        ExportedMetric.Gauge(MeterName, "damaged_objects", "moscowtime_backup_restore_damaged_objects",
            "Damaged objects the last restore drill skipped, or a restore noted; 0 when none."),
    ];

    private readonly Meter _meter;

    public DrillMeters(IMeterFactory meterFactory, DrillStatus drill, IOptions<RemoteOptions> remote)
    {
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge("last_success", () => drill.Last.LastSuccess?.ToUnixTimeMilliseconds() / 1000.0 ?? 0, "s");
        _meter.CreateObservableGauge("duration", () => drill.Last.LastDuration?.TotalSeconds ?? double.NaN, "s");
        _meter.CreateObservableGauge("interval", () => remote.Value.DrillInterval.TotalSeconds, "s");
        _meter.CreateObservableGauge("damaged_objects", () => drill.Last.Damaged.Count, "{object}");
    }

    public void Dispose() => _meter.Dispose();
}
