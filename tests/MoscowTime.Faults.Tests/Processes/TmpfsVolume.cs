using System.Diagnostics;

namespace MoscowTime.Faults.Tests.Processes;

/// <summary>
/// A small filesystem of its own, like the pod's 10 MiB volume: a tmpfs mounted on a directory, so
/// that filling it up hits ENOSPC for real. Needs root (CI runs as root); without it the test fails
/// and says so, rather than passing without having filled anything.
/// </summary>
internal sealed class TmpfsVolume : IDisposable
{
    private const int ChunkBytes = 64 * 1024;

    private TmpfsVolume(string path) => Path = path;

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    public static TmpfsVolume Mount(string path, int mebibytes)
    {
        Directory.CreateDirectory(path);
        var (exitCode, output) = Run("mount", "-t", "tmpfs", "-o", $"size={mebibytes}m", "tmpfs", path);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"cannot mount a {mebibytes} MiB tmpfs on {path} (this test needs root to fill a real filesystem): {output}");
        }

        return new TmpfsVolume(path);
    }

    public long FreeBytes => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>Takes free space with a file of zeros until at most <paramref name="leaveFree"/> bytes are left (0: until ENOSPC).</summary>
    public void Fill(long leaveFree = 0)
    {
        var chunk = new byte[ChunkBytes];
        using var stream = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
        // Bounded by the volume's size: each pass takes at least one chunk or ends.
        for (var written = 0L; written < 64L * 1024 * 1024; written += chunk.Length)
        {
            var wanted = Math.Min(chunk.Length, FreeBytes - leaveFree);
            if (wanted <= 0)
            {
                return;
            }

            try
            {
                stream.Write(chunk, 0, (int)wanted);
            }
            catch (IOException) when (leaveFree == 0)
            {
                return; // ENOSPC: full.
            }
        }
    }

    /// <summary>Gives all the space the filler took back.</summary>
    public void Free() => File.Delete(Filler);

    /// <summary>Unmounts; stop every process with a file open on the volume first.</summary>
    public void Dispose()
    {
        if (Run("umount", Path).ExitCode != 0)
        {
            // Still busy: detach it now, the kernel frees it once the last file closes.
            Run("umount", "--lazy", Path);
        }
    }

    private static (int ExitCode, string Output) Run(string command, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, (output.Result + error).Trim());
    }
}
