using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using MoscowTime.Web.Apis;

namespace MoscowTime.Web.Pages;

/// <summary>
/// The page, rendered on the server so it is complete without JavaScript. Style and script are
/// inline (no CDN, no extra requests) and allowed by hash in the Content-Security-Policy.
/// </summary>
public static class HomePage
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:0;min-height:100vh;display:grid;place-items:center;background:#101418;color:#e8e6e3}
        main{text-align:center}
        h1{font-weight:400;font-size:1.2rem;letter-spacing:.1em;text-transform:uppercase;color:#9aa4ad}
        #clock{font-size:clamp(3rem,14vw,8rem);font-variant-numeric:tabular-nums;margin:.2em 0}
        #date{color:#9aa4ad}
        dl{display:grid;grid-template-columns:auto auto;gap:.3em 1em;justify-content:center;margin-top:2em}
        dt{color:#9aa4ad;text-align:right}dd{margin:0;text-align:left;font-variant-numeric:tabular-nums}
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

    private static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src '{Sha256(Style)}'; script-src '{Sha256(Script)}'; connect-src 'self'; " +
        "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void ApplyHeaders(HttpResponse response)
    {
        // Each GET / is a visit: a cached copy would show a stale count and skip a visit.
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    public static string Render(TimeReading now, string pod, long visits)
    {
        var html = HtmlEncoder.Default;
        var moscow = DateTimeOffset.Parse(now.Moscow, CultureInfo.InvariantCulture);
        return $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Moscow time</title>
            <style>{Style}</style>
            </head>
            <body>
            <main>
            <h1>Moscow time <small>({html.Encode(now.Zone)})</small></h1>
            <div id="clock" data-unix-ms="{now.UnixMs}" data-offset-minutes="{now.OffsetMinutes}">{moscow:HH:mm:ss}</div>
            <div id="date">{moscow:yyyy-MM-dd}</div>
            <time id="moscow" datetime="{html.Encode(now.Moscow)}" hidden>{html.Encode(now.Moscow)}</time>
            <dl>
            <dt>Served by pod</dt><dd id="pod">{html.Encode(pod)}</dd>
            <dt>Visits to this pod</dt><dd id="visits">{visits.ToString(CultureInfo.InvariantCulture)}</dd>
            </dl>
            </main>
            <script>{Script}</script>
            </body>
            </html>
            """;
    }

    private static string Sha256(string inline) =>
        "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));
}
