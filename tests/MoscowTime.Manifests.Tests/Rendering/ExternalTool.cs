namespace MoscowTime.Manifests.Tests.Rendering;

/// <summary>Finds the command-line tools the manifests are checked with (kubectl, bash, shellcheck) and runs them.</summary>
internal static class ExternalTool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The tool's full path. A missing tool fails the test rather than skipping it: CI installs
    /// every one of them (.ci/run), and a skipped manifest check would pass broken manifests.
    /// </summary>
    public static string Require(string name, string purpose)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => System.IO.Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);
        if (path is null)
        {
            var where = Environment.GetEnvironmentVariable("CI") == "true"
                ? "CI must install it (.ci/run)"
                : "install it to run these tests";
            throw new InvalidOperationException($"{name} is not on PATH: {purpose}; {where}.");
        }

        return path;
    }

    /// <summary>Runs the tool from the repository root unless told otherwise.</summary>
    public static CommandResult Run(
        string file,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null) =>
        Command.RunAsync(file, arguments, Timeout, environment, workingDirectory ?? Repository.Root).GetAwaiter().GetResult();
}
