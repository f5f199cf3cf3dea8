using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using MoscowTime.ServiceDefaults;

namespace MoscowTime.Web.Tests;

/// <summary>The text format itself, for what the apps' own series never exercise.</summary>
public sealed class PrometheusExporterTests
{
    private static readonly KeyValuePair<string, object?> AwkwardPeer = new("peer", "a\"b\\c\nd");

    [Fact]
    public async Task Label_values_are_escaped_and_only_this_factorys_meters_count()
    {
        using var app = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var other = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = app.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(factory, [new("Test", "calls", MetricKind.Counter, "test_calls_total", "Calls.", "peer")]);
        var calls = factory.Create("Test").CreateCounter<long>("calls");

        calls.Add(2, AwkwardPeer);
        calls.Add(1, AwkwardPeer);
        other.GetRequiredService<IMeterFactory>().Create("Test").CreateCounter<long>("calls").Add(5, AwkwardPeer);

        var text = await ScrapeAsync(exporter);
        Assert.Contains("# TYPE test_calls_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("test_calls_total{peer=\"a\\\"b\\\\c\\nd\"} 3\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_observable_counter_reports_its_running_total_however_often_it_is_scraped()
    {
        using var app = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = app.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(factory, [new("Test", "passes", MetricKind.Counter, "test_passes_total", "Passes.")]);
        var passes = 0L;
        factory.Create("Test").CreateObservableCounter("passes", () => passes);

        Assert.Contains("test_passes_total 0\n", await ScrapeAsync(exporter), StringComparison.Ordinal);
        passes = 4;
        await ScrapeAsync(exporter);

        Assert.Contains("test_passes_total 4\n", await ScrapeAsync(exporter), StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(PrometheusExporter exporter)
    {
        using var body = new MemoryStream();
        var context = new DefaultHttpContext { Response = { Body = body } };
        await exporter.WriteAsync(context);
        return Encoding.UTF8.GetString(body.ToArray());
    }
}
