using System.Globalization;
using System.Text;
using MoscowTime.Storage;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Pages;

/// <summary>
/// The last 24 hours as an inline SVG bar chart in Moscow time, with a text alternative, styled by classes
/// in the page's hashed stylesheet (the Content-Security-Policy would block a style attribute).
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

    /// <summary>Every how many hours a label is drawn, counted back from this one.</summary>
    private const int LabelEvery = 6;

    /// <summary>Styles for the page's stylesheet: the chart shrinks to fit a narrow screen.</summary>
    public const string Style = """
        figure{margin:2em auto 0}figcaption{color:#9aa4ad;padding-top:.3em}
        .chart{max-width:100%;height:auto}
        .chart rect{fill:#4f8fba}.chart rect.now{fill:#e8e6e3}.chart line{stroke:#39424a}
        .chart text{fill:#9aa4ad;font-size:10px;text-anchor:middle;font-variant-numeric:tabular-nums}
        """;

    public static void Append(StringBuilder page, HourlyVisits history, MoscowClock clock)
    {
        var counts = history.Counts;
        var now = counts.Count - 1;
        var hours = new string[counts.Count];
        var busiest = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            hours[i] = clock.InMoscow(history.FirstHour.AddHours(i)).ToString("HH:mm", CultureInfo.InvariantCulture);
            // The later of equal hours: "busiest" then reads as the most recent peak.
            if (counts[i] >= counts[busiest])
            {
                busiest = i;
            }
        }

        var scale = Math.Max(1, counts[busiest]);
        page.Append(CultureInfo.InvariantCulture, $"""
            <figure id="history">
            <svg id="visits-chart" class="chart" role="img" aria-labelledby="visits-chart-title visits-chart-desc" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}">
            <title id="visits-chart-title">Visits to this pod per hour, last 24 hours</title>
            <desc id="visits-chart-desc">{history.Total} visits in the last 24 hours, Moscow time: {counts[now]} in the current hour, from {hours[now]}; the busiest hour, from {hours[busiest]}, had {counts[busiest]}.</desc>

            """);
        for (var i = 0; i < counts.Count; i++)
        {
            var height = counts[i] == 0 ? 0 : Math.Max(1, (int)Math.Round(counts[i] * (double)PlotHeight / scale));
            page.Append(CultureInfo.InvariantCulture,
                $"<rect{(i == now ? " class=\"now\"" : "")} x=\"{BarX(i)}\" y=\"{PlotHeight - height}\" width=\"{BarWidth}\" height=\"{height}\"><title>{hours[i]}: {counts[i]} visits</title></rect>\n");
        }

        page.Append(CultureInfo.InvariantCulture, $"<line x1=\"0\" y1=\"{PlotHeight}.5\" x2=\"{Width}\" y2=\"{PlotHeight}.5\"/>\n");
        // Counted back from this hour, so the newest bar is always labelled.
        for (var i = now; i >= 0; i -= LabelEvery)
        {
            page.Append(CultureInfo.InvariantCulture, $"<text x=\"{BarX(i) - 1 + (Step / 2)}\" y=\"{Height - 2}\">{hours[i]}</text>\n");
        }

        page.Append(CultureInfo.InvariantCulture, $"""
            </svg>
            <figcaption>Visits per hour, Moscow time: <span id="visits-24h">{history.Total}</span> in the last 24 hours</figcaption>
            </figure>
            """);
    }

    private static int BarX(int hour) => Margin + (hour * Step) + 1;
}
