using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using MoscowTime.Storage;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pods;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Pages;

/// <summary>
/// The page, complete without JavaScript; style and script are inline (no extra requests) and allowed by
/// hash in the Content-Security-Policy.
/// </summary>
public sealed class HomePage(PodIdentity pod, MoscowClock clock)
{
    /// <summary>Laid out for any width down to a 390 px phone: main keeps a margin, the caption under the chart wraps.</summary>
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#101418;color:#e8e6e3}
        main{text-align:center;padding:1em;max-width:100%;box-sizing:border-box}
        h1{font-weight:400;font-size:1.2rem;letter-spacing:.1em;text-transform:uppercase;color:#9aa4ad}
        #clock{font-size:clamp(3rem,14vw,8rem);font-variant-numeric:tabular-nums;margin:.2em 0}
        #date{color:#9aa4ad}
        dl{display:grid;grid-template-columns:auto auto;gap:.3em 1em;justify-content:center;margin-top:2em}
        dt{color:#9aa4ad;text-align:right}dd{margin:0;text-align:left;font-variant-numeric:tabular-nums}
        table{margin:2em auto 0;border-collapse:collapse;font-variant-numeric:tabular-nums}
        caption{color:#9aa4ad;padding-bottom:.4em;white-space:nowrap}
        td,th{padding:.15em .8em;text-align:left}td+td,th+th{text-align:right}
        th,tfoot td{color:#9aa4ad;font-weight:400}tfoot td{border-top:1px solid #39424a}
        .self td{color:#fff}.down{color:#e07a5f}
        """;

    // Ticks locally every quarter second and re-syncs with /api/time every 30 s.
    private const string Script = """
        (() => {
          const clock = document.getElementById('clock'), date = document.getElementById('date');
          let skew = Number(clock.dataset.unixMs) - Date.now(), offset = Number(clock.dataset.offsetMinutes);
          const pad = n => String(n).padStart(2, '0');
          const render = () => {
            const t = new Date(Date.now() + skew + offset * 60000);
            clock.textContent = pad(t.getUTCHours()) + ':' + pad(t.getUTCMinutes()) + ':' + pad(t.getUTCSeconds());
            date.textContent = t.getUTCFullYear() + '-' + pad(t.getUTCMonth() + 1) + '-' + pad(t.getUTCDate());
          };
          const sync = async () => {
            try {
              const now = await (await fetch('/api/time', { cache: 'no-store' })).json();
              skew = now.unixMs - Date.now();
              offset = now.offsetMinutes;
            } catch { /* keep ticking from the last reading */ }
          };
          render();
          setInterval(render, 250);
          setInterval(sync, 30000);
        })();
        """;

    private const string Stylesheet = Style + VisitChart.Style;

    /// <summary>Room for the whole page with its chart (about 6,000 characters), so a builder never grows.</summary>
    public const int Capacity = 8 * 1024;

    // The inline style's and script's SHA-256, written out: hashing them at start loads OpenSSL for this
    // alone, 4 MiB of the web app's RSS (bench/aot.sh). HomePageTests fails when they no longer match.
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'sha256-lDU/plF+wi4a8W9kRnx9XcYOmZyyxQbRxSiEGZTBf4Y='; " +
        "script-src 'sha256-9m4lsPbuGFK3mzwF/47F4C91LLTxo/fXv3lCCyZtvJs='; connect-src 'self'; " +
        "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>One visit's page: its time, this pod's count, the peers' as last reported (never waited on), and the last 24 hours.</summary>
    public void Render(StringBuilder page, DateTimeOffset moscow, long visits, PeerSnapshot peers, HourlyVisits? history)
    {
        var html = HtmlEncoder.Default;
        var podName = html.Encode(pod.Name);
        page.Append(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Moscow time</title>
            <style>{Stylesheet}</style>
            </head>
            <body>
            <main>
            <h1>Moscow time <small>({html.Encode(clock.ZoneName)})</small></h1>
            <div id="clock" data-unix-ms="{moscow.ToUnixTimeMilliseconds()}" data-offset-minutes="{(int)moscow.Offset.TotalMinutes}">{moscow:HH:mm:ss}</div>
            <div id="date">{moscow:yyyy-MM-dd}</div>
            <time id="moscow" datetime="{moscow:yyyy-MM-dd'T'HH:mm:sszzz}" hidden>{moscow:yyyy-MM-dd'T'HH:mm:sszzz}</time>
            <dl>
            <dt>Served by pod</dt><dd id="pod">{podName}</dd>
            <dt>Visits to this pod</dt><dd id="visits">{visits}</dd>
            </dl>
            <table id="cluster">
            <caption>All pods (others as last reported)</caption>
            <thead><tr><th>Pod</th><th>Visits</th></tr></thead>
            <tbody>
            <tr class="self"><td>{podName}</td><td>{visits}</td></tr>

            """);
        foreach (var peer in peers.Peers)
        {
            var count = peer.Ok ? string.Create(CultureInfo.InvariantCulture, $"<td>{peer.Visits}</td>")
                : $"<td class=\"down\" title=\"{html.Encode(peer.Error ?? "")}\">no answer</td>";
            page.Append($"<tr><td>{html.Encode(peer.Pod)}</td>{count}</tr>\n");
        }

        page.Append(CultureInfo.InvariantCulture, $"""
            </tbody>
            <tfoot><tr><td>{(peers.Complete ? "Total" : "Total of pods that answered")}</td><td id="cluster-total">{visits + peers.Total}</td></tr></tfoot>
            </table>

            """);
        if (history is not null)
        {
            VisitChart.Append(page, history, clock);
        }

        page.Append(CultureInfo.InvariantCulture, $"""
            </main>
            <script>{Script}</script>
            </body>
            </html>

            """);
    }
}
