using System.Diagnostics;

namespace MoscowTime.Manifests.Tests.Rendering;

internal sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string[] OutputLines => StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs the command-line tools the manifests are checked with (kubectl, bash, shellcheck).</summary>
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

    public static ToolResult Run(
        string file,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in {Timeout}");
        }

        return new ToolResult(process.ExitCode, output.Result, error.Result);
    }
}
