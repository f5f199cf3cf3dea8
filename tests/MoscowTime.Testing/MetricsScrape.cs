using System.Globalization;

namespace MoscowTime.Testing;

/// <summary>One reading of an app's /metrics, in the Prometheus text format.</summary>
public sealed class MetricsScrape(string text)
{
    public static async Task<MetricsScrape> ReadAsync(HttpClient client) => new(await client.GetStringAsync("/metrics"));

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels contain <paramref name="label"/>; 0 when there are none.</summary>
    public double Sum(string name, string? label = null) => text.Split('\n')
        .Where(line => line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is ' ' or '{')
        .Where(line => label is null || line.Contains(label, StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
}
