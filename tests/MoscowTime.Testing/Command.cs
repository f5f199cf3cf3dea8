using System.ComponentModel;
using System.Diagnostics;

namespace MoscowTime.Testing;

public sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    public string[] OutputLines => StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public CommandResult EnsureSuccess() =>
        Succeeded ? this : throw new InvalidOperationException($"`{CommandLine}` exited with {ExitCode}:\n{Tail(StandardError)}\n{Tail(StandardOutput)}");

    private static string Tail(string text, int lines = 40) =>
        string.Join('\n', text.TrimEnd().Split('\n').TakeLast(lines));
}

/// <summary>
/// Runs a program to completion with a deadline, capturing what it prints: the one way tests run
/// tools (kubectl, podman, bash) and our apps' one-shot commands. Long-running apps are <see cref="ChildProcess"/>.
/// </summary>
public static class Command
{
    public static async Task<CommandResult> RunAsync(
        string file,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var commandLine = string.Join(' ', start.ArgumentList.Prepend(file));
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"`{file}` could not be started ({ex.Message}); is it installed and on PATH?", ex);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{commandLine}` did not finish within {timeout.TotalSeconds:0} s");
        }

        return new CommandResult(commandLine, process.ExitCode, await output, await error);
    }
}
