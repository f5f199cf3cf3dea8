using System.Globalization;
using System.Text;
using System.Text.Unicode;

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

    /// <summary>
    /// At most how many bytes <see cref="TryWrite"/> writes: 24 bars of about 100 bytes each with
    /// 19-digit counts, the axis, four labels and the figure around them come to under 4 KiB.
    /// </summary>
    public const int MaxLength = 8192;

    /// <summary>
    /// Writes the chart as UTF-8. The finished hours' part, most of it, is kept encoded (see
    /// <see cref="FinishedHours.DrawnAt"/>); only this hour's bar and the figures are formatted per visit.
    /// </summary>
    public static bool TryWrite(Span<byte> destination, HourlyVisits history, out int written)
    {
        var finished = history.Finished;
        var now = history.ThisHour;
        var scale = Scale(Math.Max(finished.Most, now));
        var (busiest, most) = now >= finished.Most ? (VisitHistory.Hours - 1, now) : (finished.Busiest, finished.Most);
        var label = finished.Labels;
        var height = BarHeight(now, scale);
        var bars = finished.DrawnAt(scale, DrawFinished);
        written = 0;
        if (!Utf8.TryWrite(destination, CultureInfo.InvariantCulture, $"""
            <figure id="history">
            <svg id="visits-chart" class="chart" role="img" aria-labelledby="visits-chart-title visits-chart-desc" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}">
            <title id="visits-chart-title">Visits to this pod per hour, last 24 hours</title>
            <desc id="visits-chart-desc">{history.Total} visits in the last 24 hours, Moscow time: {now} in the current hour, from {label[^1]}; the busiest hour, from {label[busiest]}, had {most}.</desc>

            """, out var head) || !bars.AsSpan().TryCopyTo(destination[head..]))
        {
            return false;
        }

        var before = head + bars.Length;
        if (!Utf8.TryWrite(destination[before..], CultureInfo.InvariantCulture, $"""
            <rect class="now" x="{BarX(VisitHistory.Hours - 1)}" y="{PlotHeight - height}" width="{BarWidth}" height="{height}"><title>{label[^1]}: {now} visits</title></rect>
            </svg>
            <figcaption>Visits per hour, Moscow time: <span id="visits-24h">{history.Total}</span> in the last 24 hours</figcaption>
            </figure>
            """, out var tail))
        {
            return false;
        }

        written = before + tail;
        return true;
    }

    /// <summary>The finished hours' bars, the axis and the hour labels, as UTF-8: the same for every visit at one scale.</summary>
    private static byte[] DrawFinished(FinishedHours finished, long scale)
    {
        var svg = new StringBuilder(3072);
        for (var i = 0; i < finished.Counts.Count; i++)
        {
            var height = BarHeight(finished.Counts[i], scale);
            svg.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{BarX(i)}\" y=\"{PlotHeight - height}\" width=\"{BarWidth}\" height=\"{height}\"><title>{finished.Labels[i]}: {finished.Counts[i]} visits</title></rect>\n");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"0\" y1=\"{PlotHeight}.5\" x2=\"{Width}\" y2=\"{PlotHeight}.5\"/>\n");
        // Every sixth hour, counted back from this one, so the newest bar is always labelled.
        for (var i = VisitHistory.Hours - 1; i >= 0; i -= 6)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{BarX(i) - 1 + (Step / 2)}\" y=\"{Height - 2}\">{finished.Labels[i]}</text>\n");
        }

        return Encoding.UTF8.GetBytes(svg.ToString());
    }

    private static int BarX(int hour) => Margin + (hour * Step) + 1;

    private static int BarHeight(long visits, long scale) =>
        visits == 0 ? 0 : Math.Max(1, (int)Math.Round(visits * (double)PlotHeight / scale));

    /// <summary>The top of the chart: the next 1, 2 or 5 × 10ⁿ at or above the busiest hour.</summary>
    private static long Scale(long most)
    {
        for (var power = 1L; ; power *= 10)
        {
            foreach (var step in (ReadOnlySpan<long>)[1, 2, 5])
            {
                if (step * power >= most)
                {
                    return step * power;
                }
            }
        }
    }
}
