namespace MoscowTime.Monitoring.Tests.Infrastructure;

/// <summary>The programs these tests drive: found on PATH, or a failure that says what to install.</summary>
internal static class Tool
{
    public static string Promtool => Require("promtool", "apt-get install prometheus");
    public static string Prometheus => Require("prometheus", "apt-get install prometheus");
    public static string Bash => Require("bash", "apt-get install bash");

    private static string Require(string name, string install) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException($"{name} is not on PATH: {install} (.ci/run does).");

    public static CommandResult Run(string file, params string[] arguments) =>
        Command.RunAsync(file, arguments, TimeSpan.FromSeconds(60), workingDirectory: Repository.Root).GetAwaiter().GetResult();
}
