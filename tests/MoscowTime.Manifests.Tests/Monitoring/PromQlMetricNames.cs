using System.Text.RegularExpressions;

namespace MoscowTime.Manifests.Tests.Monitoring;

/// <summary>The metric names a PromQL expression (or a Grafana label_values query) reads.</summary>
/// <remarks>
/// Not a parser, but enough for our own expressions: strings, label matchers, ranges and label
/// lists go first; what is left is functions (followed by "("), keywords, numbers and metric names.
/// </remarks>
internal static partial class PromQlMetricNames
{
    private static readonly HashSet<string> Keywords =
        ["and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"];

    public static IEnumerable<string> In(string expression)
    {
        // Grafana's label_values(metric{…}, label): only the first argument is a metric.
        var query = LabelValues().Replace(expression, "$1");
        query = Strings().Replace(query, " ");
        query = Matchers().Replace(query, " ");
        query = Ranges().Replace(query, " ");
        query = LabelLists().Replace(query, " ");
        return Identifiers().Matches(query)
            .Where(match => !query[(match.Index + match.Length)..].TrimStart().StartsWith('('))
            .Select(match => match.Value)
            .Where(name => !Keywords.Contains(name.ToLowerInvariant()))
            .Distinct(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"label_values\(\s*([^,()]+?)\s*,[^)]*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex LabelLists();

    [GeneratedRegex(@"(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifiers();
}
