using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace MoscowTime.ServiceDefaults;

/// <summary>What both apps set up the same way: their address, their /metrics and their probes.</summary>
public static class Extensions
{
    /// <summary>
    /// Listens on localhost:<paramref name="defaultPort"/> unless ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS (as
    /// container images set), --urls or Kestrel endpoints say otherwise; answers without a Server header.
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, int defaultPort)
    {
        var configuration = builder.Configuration;
        var configured = configuration["urls"] ?? configuration["http_ports"] ?? configuration["https_ports"];
        if (string.IsNullOrEmpty(configured) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls($"http://localhost:{defaultPort}");
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        return builder;
    }

    /// <summary>The exporter behind /metrics (<see cref="MapDefaultEndpoints"/>).</summary>
    /// <param name="exported">Which instruments are exported, under which Prometheus names.</param>
    /// <param name="createObservedInstruments">Creates the instruments that report only when observed, before the first scrape.</param>
    public static WebApplicationBuilder AddPrometheusMetrics(this WebApplicationBuilder builder,
        IReadOnlyCollection<ExportedMetric> exported, Action<IServiceProvider>? createObservedInstruments = null)
    {
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(services =>
        {
            var exporter = new PrometheusExporter(services.GetRequiredService<IMeterFactory>(), exported);
            createObservedInstruments?.Invoke(services);
            return exporter;
        });
        return builder;
    }

    /// <summary>GET /metrics; the exporter starts here, before the host, so that it sees every measurement.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapGet("/metrics", app.Services.GetRequiredService<PrometheusExporter>().WriteAsync);
        return app;
    }

    /// <summary>A probe answering the health checks tagged <paramref name="tag"/> in <see cref="HealthJson"/>'s shape.</summary>
    public static IEndpointConventionBuilder MapProbe(this IEndpointRouteBuilder app, string path, string tag) =>
        app.MapHealthChecks(path, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(tag),
            ResponseWriter = HealthJson.WriteAsync,
        }).WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]));
}
