using System.Text.RegularExpressions;
using MoscowTime.Monitoring.Tests.Infrastructure;

namespace MoscowTime.Monitoring.Tests;

/// <summary>monitoring/moscow-time.rules.yml, checked and unit-tested with the real promtool.</summary>
public sealed partial class AlertRuleTests
{
    /// <summary>Shorter than this, a `for:` pages on a blip (a restart, one failed pass, one slow scrape).</summary>
    private static readonly TimeSpan ShortestFor = TimeSpan.FromMinutes(5);

    private static readonly string[] Severities = ["critical", "warning"];
    private static readonly string[] Messages = ["summary", "description"];

    public static TheoryData<string> AlertNames => new(RuleFiles.Alerts().Select(alert => alert.Name));

    [Fact]
    public void Rules_pass_promtool_check_rules()
    {
        var result = Tool.Run(Tool.Promtool, "check", "rules", RuleFiles.Rules);

        Assert.True(result.Succeeded, result.StandardOutput + result.StandardError);
        Assert.Contains($"SUCCESS: {RuleFiles.Alerts().Count} rules found", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_alert_fires_and_stays_silent_exactly_as_the_promtool_unit_tests_expect()
    {
        var result = Tool.Run(Tool.Promtool, ["test", "rules", .. RuleFiles.UnitTests]);

        Assert.True(result.Succeeded, result.StandardOutput + result.StandardError);
    }

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Every_alert_has_a_unit_test_that_sees_it_fire_beside_a_healthy_series(string alert)
    {
        // Each firing case lists every alert it expects, so the healthy series beside the broken one
        // is proved silent in the same evaluation.
        var cases = RuleFiles.UnitTests
            .SelectMany(file => RuleFiles.List(RuleFiles.Read(file), "tests"))
            .Where(test => RuleFiles.List(test, "alert_rule_test").Any(check =>
                (string)check["alertname"] == alert && RuleFiles.List(check, "exp_alerts").Any()))
            .ToList();

        Assert.NotEmpty(cases);
        Assert.All(cases, test => Assert.True(RuleFiles.List(test, "input_series").Count() >= 2,
            $"'{test["name"]}' has no series that should stay silent beside the one that fires {alert}"));
    }

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Every_alert_has_a_severity_names_the_pod_and_the_value_in_both_messages_and_does_not_page_on_a_blip(string name)
    {
        var alert = RuleFiles.Alerts().Single(a => a.Name == name);

        Assert.Contains(alert.Labels.GetValueOrDefault("severity"), Severities);
        Assert.All(Messages, annotation =>
        {
            Assert.Contains("$labels.pod", alert.Annotations.GetValueOrDefault(annotation), StringComparison.Ordinal);
            Assert.Contains("$value", alert.Annotations.GetValueOrDefault(annotation), StringComparison.Ordinal);
        });
        Assert.NotNull(alert.For);
        Assert.True(Duration(alert.For) >= ShortestFor, $"{name}: for: {alert.For} is shorter than {ShortestFor.TotalMinutes} minutes");
    }

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Every_runbook_url_points_at_the_alerts_own_section_of_docs_runbooks(string name)
    {
        var alert = RuleFiles.Alerts().Single(a => a.Name == name);
        var anchors = Anchors(File.ReadAllText(RuleFiles.Runbooks));

        Assert.Equal($"docs/runbooks.md#{name.ToLowerInvariant()}", alert.Annotations.GetValueOrDefault("runbook_url"));
        Assert.Contains(name.ToLowerInvariant(), anchors);
    }

    [Theory]
    [MemberData(nameof(AlertNames))]
    public void Operations_guides_table_of_alerts_gives_each_alerts_severity_and_for_as_the_rules_do(string name)
    {
        var alert = RuleFiles.Alerts().Single(a => a.Name == name);
        var row = File.ReadAllLines(Repository.Path("docs", "operations.md")).SingleOrDefault(line => line.StartsWith($"| `{name}` |", StringComparison.Ordinal));

        Assert.NotNull(row);
        var cells = row.Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal(alert.Labels["severity"], cells[2]);
        Assert.Equal(alert.For, cells[^2]);
    }

    [Fact]
    public void Every_section_of_docs_runbooks_is_about_an_alert_that_exists()
    {
        var sections = Headings().Matches(File.ReadAllText(RuleFiles.Runbooks)).Select(match => match.Groups[1].Value.Trim());

        Assert.Equal(RuleFiles.Alerts().Select(alert => alert.Name).Order(StringComparer.Ordinal), sections.Order(StringComparer.Ordinal));
    }

    /// <summary>The anchors GitHub gives the headings: lower case, punctuation gone, spaces as hyphens.</summary>
    private static HashSet<string> Anchors(string markdown) =>
        [.. Headings().Matches(markdown)
            .Select(match => Punctuation().Replace(match.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-'))];

    private static TimeSpan Duration(string text)
    {
        var match = PromDuration().Match(text);
        Assert.True(match.Success, $"'{text}' is not a duration");
        var value = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch
        {
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            _ => TimeSpan.FromDays(value),
        };
    }

    [GeneratedRegex(@"^## (.+)$", RegexOptions.Multiline)]
    private static partial Regex Headings();

    [GeneratedRegex(@"[^\w\- ]")]
    private static partial Regex Punctuation();

    [GeneratedRegex(@"^(\d+)([smhd])$")]
    private static partial Regex PromDuration();
}
