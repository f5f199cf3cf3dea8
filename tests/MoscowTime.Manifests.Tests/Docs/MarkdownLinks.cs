using System.Text.RegularExpressions;

namespace MoscowTime.Manifests.Tests.Docs;

/// <summary>
/// Relative links in markdown files, checked the way GitHub renders them: the path is relative to the
/// linking file, and an <c>#anchor</c> must be the slug of a heading in the target.
/// </summary>
public static partial class MarkdownLinks
{
    /// <summary>The README and every markdown file in docs/, relative to the repository root.</summary>
    public static IEnumerable<string> Documents(string root) =>
        Directory.GetFiles(Path.Combine(root, "docs"), "*.md")
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .Prepend("README.md");

    /// <summary>Every relative link in <paramref name="document"/> that leads nowhere, with the reason.</summary>
    public static IReadOnlyList<string> Broken(string root, string document)
    {
        var markdown = File.ReadAllText(Path.Combine(root, document));
        return Targets(markdown)
            .Where(IsRelative)
            .Select(target => Check(root, document, target))
            .OfType<string>()
            .ToList();
    }

    /// <summary>Why <paramref name="target"/>, written in <paramref name="document"/>, leads nowhere; null when it resolves.</summary>
    public static string? Check(string root, string document, string target)
    {
        var hash = target.IndexOf('#', StringComparison.Ordinal);
        var path = hash < 0 ? target : target[..hash];
        var anchor = hash < 0 ? null : target[(hash + 1)..];

        var from = Path.GetDirectoryName(Path.Combine(root, document))!;
        var file = path.Length == 0 ? Path.Combine(root, document) : Path.GetFullPath(Path.Combine(from, Uri.UnescapeDataString(path)));
        if (!File.Exists(file) && !Directory.Exists(file))
        {
            return $"{document}: ({target}): {Path.GetRelativePath(root, file)} does not exist";
        }

        if (anchor is null)
        {
            return null;
        }

        if (!file.EndsWith(".md", StringComparison.OrdinalIgnoreCase) || !File.Exists(file))
        {
            return $"{document}: ({target}): an anchor into {Path.GetRelativePath(root, file)}, which is not a markdown file";
        }

        return Anchors(File.ReadAllText(file)).Contains(anchor)
            ? null
            : $"{document}: ({target}): no heading in {Path.GetRelativePath(root, file)} has the anchor #{anchor}";
    }

    /// <summary>The link targets of <paramref name="markdown"/>, outside fenced code blocks and code spans.</summary>
    public static IEnumerable<string> Targets(string markdown) =>
        Prose(markdown).SelectMany(line => InlineLink().Matches(CodeSpan().Replace(line, "")).Select(match => match.Groups["target"].Value));

    /// <summary>The anchors GitHub gives the headings of <paramref name="markdown"/>, duplicates numbered -1, -2, ….</summary>
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in Prose(markdown))
        {
            var heading = Heading().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            var slug = Slug(heading.Groups["text"].Value);
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    /// <summary>
    /// GitHub's slug of a heading: its text as rendered (code marks dropped, links reduced to their text),
    /// lowercased, every character but letters, digits, <c>-</c>, <c>_</c> and spaces dropped, spaces turned into <c>-</c>.
    /// </summary>
    public static string Slug(string heading)
    {
        var text = InlineLink().Replace(heading.Replace("`", "", StringComparison.Ordinal), match => match.Groups["text"].Value);
        return NotInSlug().Replace(text.Trim().ToLowerInvariant(), "").Replace(' ', '-');
    }

    private static bool IsRelative(string target) => !Scheme().IsMatch(target) && !target.StartsWith("//", StringComparison.Ordinal);

    private static IEnumerable<string> Prose(string markdown)
    {
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced)
            {
                yield return line.TrimEnd('\r');
            }
        }
    }

    [GeneratedRegex(@"\[(?<text>[^\]]*)\]\((?<target>[^)\s]+)(?:\s+""[^""]*"")?\)")]
    private static partial Regex InlineLink();

    [GeneratedRegex("`[^`]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.*?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{M}\p{N}\p{Pc} -]")]
    private static partial Regex NotInSlug();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*:")]
    private static partial Regex Scheme();
}
