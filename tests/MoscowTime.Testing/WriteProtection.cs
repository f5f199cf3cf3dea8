using System.Diagnostics;

namespace MoscowTime.Testing;

/// <summary>
/// Makes a file or directory refuse writes, even for root: CI runs as root, which ignores mode
/// bits, so root gets `chattr +i` (EPERM, as from a failing or read-only disk) and others chmod a-w.
/// </summary>
public static class WriteProtection
{
    private static bool IsRoot => Environment.UserName == "root";

    public static IDisposable Apply(string path)
    {
        if (IsRoot)
        {
            Chattr("+i", path);
        }
        else
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) & ~(UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite));
        }

        return new Remover(path);
    }

    public static void Remove(string path)
    {
        if (!Path.Exists(path))
        {
            return;
        }

        if (IsRoot)
        {
            Chattr("-i", path);
        }
        else
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserWrite);
        }
    }

    private static void Chattr(string flag, string path)
    {
        using var process = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true })!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"chattr {flag} {path} failed: {process.StandardError.ReadToEnd()}");
        }
    }

    private sealed class Remover(string path) : IDisposable
    {
        public void Dispose() => Remove(path);
    }
}
