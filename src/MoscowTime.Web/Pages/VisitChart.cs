using System.Globalization;
using System.Text;

namespace MoscowTime.Web.Pages;

/// <summary>
/// The last 24 hours as a small bar chart: inline SVG, drawn on the server, styled by classes in
/// the page's hashed stylesheet (a style attribute would be blocked by the Content-Security-Policy),
/// with a text alternative for screen readers and the hours in Moscow time.
/// </summary>
public static class VisitChart
{
    private const int BarWidth = 10;
    private const int Step = 12;
    private const int PlotHeight = 60;

    /// <summary>Room at both ends for a label centred under the first or the last bar.</summary>
    private const int Margin = 12;
    private const int Width = (VisitHistory.Hours * Step) + (2 * Margin);
    private const int Height = PlotHeight + 16;

    /// <summary>Styles for the page's stylesheet.</summary>
    public const string Style = """
        figure{margin:2em auto 0;width:max-content}figcaption{color:#9aa4ad;padding-top:.3em}
        .chart rect{fill:#4f8fba}.chart rect.now{fill:#e8e6e3}.chart line{stroke:#39424a}
        .chart text{fill:#9aa4ad;font-size:10px;text-anchor:middle;font-variant-numeric:tabular-nums}
        """;

    public static string Render(HourlyVisits history)
    {
        var counts = history.Counts;
        var max = Math.Max(1, counts.Max());
        var busiest = IndexOfMax(counts);
        string Hour(int i) => history.Labels[i];

        var svg = new StringBuilder(3072);
        svg.Append(CultureInfo.InvariantCulture, $"""
            <figure id="history">
            <svg id="visits-chart" class="chart" role="img" aria-labelledby="visits-chart-title visits-chart-desc" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}">
            <title id="visits-chart-title">Visits to this pod per hour, last 24 hours</title>
            <desc id="visits-chart-desc">{history.Total} visits in the last 24 hours, Moscow time: {counts[^1]} in the current hour, from {Hour(counts.Count - 1)}; the busiest hour, from {Hour(busiest)}, had {counts[busiest]}.</desc>

            """);
        for (var i = 0; i < counts.Count; i++)
        {
            var height = counts[i] == 0 ? 0 : Math.Max(1, (int)Math.Round(counts[i] * (double)PlotHeight / max));
            var now = i == counts.Count - 1 ? " class=\"now\"" : "";
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect{now} x=\"{Margin + (i * Step) + 1}\" y=\"{PlotHeight - height}\" width=\"{BarWidth}\" height=\"{height}\"><title>{Hour(i)}: {counts[i]} visits</title></rect>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"0\" y1=\"{PlotHeight}.5\" x2=\"{Width}\" y2=\"{PlotHeight}.5\"/>\n");
        // Every sixth hour, counted back from this one, so the newest bar is always labelled.
        for (var i = counts.Count - 1; i >= 0; i -= 6)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Margin + (i * Step) + (Step / 2)}\" y=\"{Height - 2}\">{Hour(i)}</text>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""
            </svg>
            <figcaption>Visits per hour, Moscow time: <span id="visits-24h">{history.Total}</span> in the last 24 hours</figcaption>
            </figure>
            """);
        return svg.ToString();
    }

    private static int IndexOfMax(IReadOnlyList<long> counts)
    {
        var best = 0;
        for (var i = 1; i < counts.Count; i++)
        {
            // The later of equal hours: "busiest" then reads as the most recent peak.
            if (counts[i] >= counts[best])
            {
                best = i;
            }
        }

        return best;
    }
}
