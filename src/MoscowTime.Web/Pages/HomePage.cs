using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pods;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Pages;

/// <summary>
/// The page, rendered on the server so it is complete without JavaScript. Style and script are
/// inline (no CDN, no extra requests) and allowed by hash in the Content-Security-Policy.
/// </summary>
/// <remarks>
/// GET / is the hot path: the parts that never change for this pod are encoded once, and each
/// request formats its few values straight into a pooled UTF-8 buffer.
/// </remarks>
public sealed class HomePage
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#101418;color:#e8e6e3}
        main{text-align:center}
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

    private const string Tail = $"""
        </main>
        <script>{Script}</script>
        </body>
        </html>

        """;

    private const string Stylesheet = Style + VisitChart.Style;

    private static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src '{Sha256(Stylesheet)}'; script-src '{Sha256(Script)}'; connect-src 'self'; " +
        "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly byte[] TailUtf8 = Encoding.UTF8.GetBytes(Tail);

    private readonly byte[] _head;
    private readonly string _pod;
    private readonly int _maxLength;
    private readonly PeerRows _peerRows = new();

    public HomePage(PodIdentity pod, MoscowClock clock)
    {
        var html = HtmlEncoder.Default;
        _pod = html.Encode(pod.Name);
        _head = Encoding.UTF8.GetBytes($"""
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

            """);
        _maxLength = _head.Length + TailUtf8.Length + Encoding.UTF8.GetMaxByteCount(_pod.Length * 2) + 1024;
    }

    /// <summary>
    /// Writes the page for one visit: the time it was served, this pod's count including it, and
    /// the other pods' counts as they last reported (the page never waits on a peer), and this
    /// pod's last 24 hours.
    /// </summary>
    public async Task WriteAsync(HttpResponse response, DateTimeOffset moscow, long visits, PeerSnapshot peers, HourlyVisits? history)
    {
        var peerRows = _peerRows.For(peers);
        var length = _maxLength + Encoding.UTF8.GetMaxByteCount(peerRows.Length) + (history is null ? 0 : VisitChart.MaxLength);
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            // The constant head and tail are copied as they were encoded at start; only the values between them are formatted.
            var page = buffer.AsSpan();
            _head.CopyTo(page);
            var written = _head.Length;
            if (!Utf8.TryWrite(page[written..], CultureInfo.InvariantCulture, $"""
                <div id="clock" data-unix-ms="{moscow.ToUnixTimeMilliseconds()}" data-offset-minutes="{(int)moscow.Offset.TotalMinutes}">{moscow:HH:mm:ss}</div>
                <div id="date">{moscow:yyyy-MM-dd}</div>
                <time id="moscow" datetime="{moscow:yyyy-MM-dd'T'HH:mm:sszzz}" hidden>{moscow:yyyy-MM-dd'T'HH:mm:sszzz}</time>
                <dl>
                <dt>Served by pod</dt><dd id="pod">{_pod}</dd>
                <dt>Visits to this pod</dt><dd id="visits">{visits}</dd>
                </dl>
                <table id="cluster">
                <caption>All pods (others as last reported)</caption>
                <thead><tr><th>Pod</th><th>Visits</th></tr></thead>
                <tbody>
                <tr class="self"><td>{_pod}</td><td>{visits}</td></tr>
                {peerRows}</tbody>
                <tfoot><tr><td>{(peers.Complete ? "Total" : "Total of pods that answered")}</td><td id="cluster-total">{visits + peers.Total}</td></tr></tfoot>
                </table>

                """, out var values))
            {
                throw new InvalidOperationException($"The page outgrew its {length}-byte buffer.");
            }

            written += values;
            if (history is not null)
            {
                if (!VisitChart.TryWrite(page[written..], history, out var chart))
                {
                    throw new InvalidOperationException($"The page outgrew its {length}-byte buffer.");
                }

                written += chart;
            }

            TailUtf8.CopyTo(page[written..]);
            written += TailUtf8.Length;

            // Each GET / is a visit: a cached copy would show a stale count and skip a visit.
            response.Headers.CacheControl = "no-store";
            response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
            response.Headers.XContentTypeOptions = "nosniff";
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.ContentType = "text/html; charset=utf-8";
            response.ContentLength = written;
            await response.Body.WriteAsync(buffer.AsMemory(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Sha256(string inline) =>
        "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));
}
