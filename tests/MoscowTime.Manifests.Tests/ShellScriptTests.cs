using MoscowTime.Manifests.Tests.Rendering;

namespace MoscowTime.Manifests.Tests;

/// <summary>Every shell script in the repository, found afresh each run so a new one is covered too.</summary>
public sealed class ShellScriptTests
{
    /// <summary>Build output, tool caches and other repositories' files: not ours to lint.</summary>
    private static readonly HashSet<string> Skipped = new(StringComparer.Ordinal) { "bin", "obj", ".git", "node_modules", ".tools" };

    public static TheoryData<string> Scripts() => [.. AllScripts()];

    [Fact]
    public void The_known_scripts_are_found()
    {
        var scripts = AllScripts();

        Assert.Contains(".ci/run", scripts);
        Assert.Contains("kustomize/switch-policy.sh", scripts);
        Assert.Contains("run-local.sh", scripts);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_is_shellcheck_clean(string script)
    {
        var shellcheck = ExternalTool.Require("shellcheck", "every shell script is checked with shellcheck");

        // -x follows `. file` into the sourced script (paths relative to the repository root, where
        // the scripts run from), so variables a library defines are known.
        var result = ExternalTool.Run(shellcheck, ["--external-sources", script]);

        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
    }

    private static List<string> AllScripts() => [.. FindScripts(Repository.Root).Order(StringComparer.Ordinal)];

    private static IEnumerable<string> FindScripts(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var relative = Path.GetRelativePath(Repository.Root, file).Replace('\\', '/');
            if (file.EndsWith(".sh", StringComparison.Ordinal) || relative == ".ci/run")
            {
                yield return relative;
            }
        }

        foreach (var child in Directory.EnumerateDirectories(directory).Where(d => !Skipped.Contains(Path.GetFileName(d))))
        {
            foreach (var script in FindScripts(child))
            {
                yield return script;
            }
        }
    }
}
