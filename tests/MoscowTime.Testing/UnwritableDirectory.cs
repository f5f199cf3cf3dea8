using System.Diagnostics;

namespace MoscowTime.Testing;

/// <summary>
/// Makes a directory refuse new files, even for root (CI runs as root, which ignores mode bits):
/// `chattr +i` as root, `chmod 555` otherwise.
/// </summary>
public static class UnwritableDirectory
{
    private static bool IsRoot => Environment.UserName == "root";

    public static IDisposable Make(string directory)
    {
        if (IsRoot)
        {
            Run("chattr", "+i", directory);
        }
        else
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }

        return new Restorer(directory);
    }

    public static void Restore(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }

        if (IsRoot)
        {
            Run("chattr", "-i", directory);
        }
        else
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {process.StandardError.ReadToEnd()}");
        }
    }

    private sealed class Restorer(string directory) : IDisposable
    {
        public void Dispose() => Restore(directory);
    }
}
