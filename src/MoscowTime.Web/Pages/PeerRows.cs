using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using MoscowTime.Web.Cluster;

namespace MoscowTime.Web.Pages;

/// <summary>
/// The other pods' rows of the page's table. Rendered once per snapshot, not per visit: the
/// snapshot changes only when the peers are asked again, every visit in between shows the same rows.
/// </summary>
public sealed class PeerRows
{
    private volatile Rendered _last = new(PeerSnapshot.None, "");

    public string For(PeerSnapshot peers)
    {
        var last = _last;
        if (ReferenceEquals(last.Peers, peers))
        {
            return last.Html;
        }

        var html = Render(peers.Peers);
        _last = new Rendered(peers, html);
        return html;
    }

    private static string Render(IReadOnlyList<PodCount> peers)
    {
        var html = HtmlEncoder.Default;
        var rows = new StringBuilder();
        foreach (var peer in peers)
        {
            rows.Append(CultureInfo.InvariantCulture, $"<tr><td>{html.Encode(peer.Pod)}</td>");
            rows.Append(peer.Ok
                ? string.Create(CultureInfo.InvariantCulture, $"<td>{peer.Visits}</td></tr>\n")
                : $"<td class=\"down\" title=\"{html.Encode(peer.Error ?? "")}\">no answer</td></tr>\n");
        }

        return rows.ToString();
    }

    private sealed record Rendered(PeerSnapshot Peers, string Html);
}
