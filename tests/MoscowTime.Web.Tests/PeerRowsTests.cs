using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pages;

namespace MoscowTime.Web.Tests;

public class PeerRowsTests
{
    [Fact]
    public void Peers_that_answered_show_their_count_and_silent_ones_say_why_encoded()
    {
        var peers = new PeerSnapshot([new PodCount("pod-b", 4, true), new PodCount("<pod-c>", null, false, "answered \"503\"")]);

        Assert.Equal(
            "<tr><td>pod-b</td><td>4</td></tr>\n" +
            "<tr><td>&lt;pod-c&gt;</td><td class=\"down\" title=\"answered &quot;503&quot;\">no answer</td></tr>\n",
            new PeerRows().For(peers));
    }

    [Fact]
    public void Rows_are_rendered_once_per_snapshot()
    {
        var rows = new PeerRows();
        var first = new PeerSnapshot([new PodCount("pod-b", 4, true)]);
        var next = new PeerSnapshot([new PodCount("pod-b", 5, true)]);

        Assert.Same(rows.For(first), rows.For(first));
        Assert.Equal("<tr><td>pod-b</td><td>5</td></tr>\n", rows.For(next));
        Assert.Equal("", rows.For(PeerSnapshot.None));
    }
}
