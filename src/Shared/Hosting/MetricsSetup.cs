using System.Diagnostics.Metrics;
using Prometheus;

namespace MoscowTime.Hosting;

/// <summary>
/// /metrics, set up the same way in both apps: their instruments come from the app's
/// <see cref="IMeterFactory"/> and reach Prometheus through one <see cref="MeterExporter"/>.
/// Shared as a linked source file; internal so each app keeps its own copy.
/// </summary>
internal static class MetricsSetup
{
    /// <param name="table">Which instruments are exported, under which Prometheus names.</param>
    /// <param name="configure">
    /// Runs once the exporter exists: creates instruments that only report when observed, and adds
    /// other exporters of the app (prometheus-net's runtime figures) to its registry.
    /// </param>
    public static IServiceCollection AddMoscowTimeMetrics(
        this IServiceCollection services, IReadOnlyCollection<ExportedMetric> table, Action<IServiceProvider, MeterExporter>? configure = null)
    {
        services.AddMetrics();
        services.AddSingleton(sp =>
        {
            var exporter = new MeterExporter(sp.GetRequiredService<IMeterFactory>(), table);
            configure?.Invoke(sp, exporter);
            return exporter;
        });
        return services;
    }

    /// <summary>GET /metrics in Prometheus text format; the exporter starts here, before the host, so every series is there from process start.</summary>
    public static IEndpointConventionBuilder MapMoscowTimeMetrics(this WebApplication app) =>
        app.MapMetrics("/metrics", app.Services.GetRequiredService<MeterExporter>().Registry)
            .WithMetadata(new HttpMethodMetadata(["GET"]));
}
