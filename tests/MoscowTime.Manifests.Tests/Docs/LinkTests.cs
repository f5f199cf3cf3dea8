using System.Text.RegularExpressions;

namespace MoscowTime.Manifests.Tests.Docs;

/// <summary>The README and docs/ link to files and sections that exist, and so do the alerts' runbook URLs.</summary>
public sealed partial class LinkTests
{
    public static TheoryData<string> Documents => new(MarkdownLinks.Documents(Repository.Root));

    public static TheoryData<string> RuleFiles => new("monitoring/moscow-time.rules.yml", "kustomize/components/monitoring/prometheusrule.yaml");

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_relative_link_leads_to_a_file_and_heading_that_exist(string document)
    {
        Assert.Empty(MarkdownLinks.Broken(Repository.Root, document));
    }

    [Theory]
    [MemberData(nameof(RuleFiles))]
    public void Every_runbook_url_leads_to_a_section_of_docs_runbooks(string rules)
    {
        // runbook_url is relative to the repository root, as a link in the README is.
        var urls = RunbookUrl().Matches(File.ReadAllText(Repository.Path(rules))).Select(match => match.Groups[1].Value).ToList();

        Assert.NotEmpty(urls);
        Assert.All(urls, url => Assert.Null(MarkdownLinks.Check(Repository.Root, "README.md", url)));
    }

    [Theory]
    [InlineData("Monitoring & alerts", "monitoring--alerts")]
    [InlineData("What `kubectl get pods -w` shows", "what-kubectl-get-pods--w-shows")]
    [InlineData("What happens when…", "what-happens-when")]
    [InlineData("Remote backups (object storage)", "remote-backups-object-storage")]
    [InlineData("End-to-end test: the StatefulSet's pods in real containers", "end-to-end-test-the-statefulsets-pods-in-real-containers")]
    [InlineData("MoscowTimeBackupUnhealthy", "moscowtimebackupunhealthy")]
    [InlineData("snake_case and [a link](https://example.com) stay", "snake_case-and-a-link-stay")]
    public void A_headings_anchor_is_GitHubs_slug(string heading, string anchor)
    {
        Assert.Equal(anchor, MarkdownLinks.Slug(heading));
    }

    [Fact]
    public void Links_to_missing_files_and_headings_are_reported_and_good_ones_are_not()
    {
        using var directory = new TempDirectory("links");
        File.WriteAllText(directory.File("other.md"), "# Other\n\n## Notes\n\n## Notes\n");
        File.WriteAllText(directory.File("guide.md"), """
            # Guide

            ## Monitoring & alerts

            Good: [here](#monitoring--alerts), [there](other.md#notes-1), [a file](other.md), [web](https://example.com/x.md#nope).
            Broken: [slug without the double dash](#monitoring-alerts), [no such file](missing.md), [third notes](other.md#notes-2).
            Not links: `[in a code span](nowhere.md)`

            ```sh
            echo "[in a code block](nowhere.md)"
            ```
            """);

        var broken = MarkdownLinks.Broken(directory.Path, "guide.md");

        Assert.Collection(
            broken,
            reason => Assert.Contains("(#monitoring-alerts): no heading in guide.md has the anchor #monitoring-alerts", reason, StringComparison.Ordinal),
            reason => Assert.Contains("(missing.md): missing.md does not exist", reason, StringComparison.Ordinal),
            reason => Assert.Contains("(other.md#notes-2): no heading in other.md has the anchor #notes-2", reason, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"runbook_url:\s*""([^""]+)""")]
    private static partial Regex RunbookUrl();
}
