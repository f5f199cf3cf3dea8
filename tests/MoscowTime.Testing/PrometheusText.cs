using System.Globalization;

namespace MoscowTime.Testing;

/// <summary>A /metrics answer as series and values, so tests assert numbers, not substrings.</summary>
public static class PrometheusText
{
    /// <summary>Each sample line as <c>name{labels}</c> (exactly as exported) → its value.</summary>
    public static IReadOnlyDictionary<string, double> Parse(string text)
    {
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return samples;
    }

    public static async Task<IReadOnlyDictionary<string, double>> ScrapeAsync(HttpClient client) =>
        Parse(await client.GetStringAsync("/metrics"));

    /// <summary>
    /// The sum of the samples of <paramref name="name"/> whose labels contain <paramref name="label"/>;
    /// 0 when there are none (a series not yet labelled by any call).
    /// </summary>
    public static double Sum(this IReadOnlyDictionary<string, double> samples, string name, string? label = null) => samples
        .Where(sample => sample.Key == name || sample.Key.StartsWith(name + "{", StringComparison.Ordinal))
        .Where(sample => label is null || sample.Key.Contains(label, StringComparison.Ordinal))
        .Sum(sample => sample.Value);
}
