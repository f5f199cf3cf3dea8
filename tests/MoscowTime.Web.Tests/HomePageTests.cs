using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using MoscowTime.Web.Cluster;
using MoscowTime.Web.Pages;
using MoscowTime.Web.Pods;
using MoscowTime.Web.Time;

namespace MoscowTime.Web.Tests;

public class HomePageTests
{
    private static readonly DateTimeOffset Moscow = new(2026, 11, 24, 3, 36, 32, TimeSpan.FromHours(3));

    [Fact]
    public void Peers_that_answered_show_their_count_and_silent_ones_say_why_all_encoded()
    {
        var page = new HomePage(new PodIdentity("<pod-a>"), new MoscowClock(new FakeTimeProvider(Moscow)));
        var peers = new PeerSnapshot([new PodCount("pod-b", 4, true), new PodCount("<pod-c>", null, false, "answered \"503\"")]);

        var builder = new StringBuilder();
        page.Render(builder, Moscow, 7, peers, history: null);
        var html = builder.ToString();

        Assert.Contains("<dd id=\"pod\">&lt;pod-a&gt;</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<tr class=\"self\"><td>&lt;pod-a&gt;</td><td>7</td></tr>\n" +
            "<tr><td>pod-b</td><td>4</td></tr>\n" +
            "<tr><td>&lt;pod-c&gt;</td><td class=\"down\" title=\"answered &quot;503&quot;\">no answer</td></tr>\n", html, StringComparison.Ordinal);
        Assert.Contains("<td>Total of pods that answered</td><td id=\"cluster-total\">11</td>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<pod-", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<svg", html, StringComparison.Ordinal);
    }

    [Fact]
    public void The_content_security_policy_allows_exactly_the_inline_style_and_script_the_page_carries()
    {
        var page = new HomePage(new PodIdentity("pod-a"), new MoscowClock(new FakeTimeProvider(Moscow)));
        var builder = new StringBuilder();
        page.Render(builder, Moscow, 7, new PeerSnapshot([]), history: null);
        var html = builder.ToString();

        // A browser runs an inline element only if the policy names its content's hash.
        Assert.Contains($"style-src '{Sha256(Inline(html, "style"))}';", HomePage.ContentSecurityPolicy, StringComparison.Ordinal);
        Assert.Contains($"script-src '{Sha256(Inline(html, "script"))}';", HomePage.ContentSecurityPolicy, StringComparison.Ordinal);
    }

    private static string Inline(string html, string element) =>
        Regex.Match(html, $"<{element}>(.*?)</{element}>", RegexOptions.Singleline).Groups[1].Value;

    private static string Sha256(string inline) =>
        "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));
}
