using System.Runtime.InteropServices;

namespace MoscowTime.Storage;

/// <summary>
/// Proves a directory takes a new, fsynced file, as SQLite's -wal and -shm and every backup need: an open
/// database can keep taking writes after its directory went read-only or full.
/// </summary>
public static class DirectoryProbe
{
    private const string ProbeName = ".write-check";

    /// <summary>One page: a full disk refuses this even when it still has room for an empty file.</summary>
    private const int PageBytes = 4096;

    /// <summary>W_OK | X_OK: what creating an entry in a directory takes.</summary>
    private const int CreateEntries = 2 | 1;

    /// <returns>Null when the directory is writable; otherwise the reason, naming the path.</returns>
    public static string? Check(string directory)
    {
        var probe = Path.Combine(directory, $"{ProbeName}-{Environment.ProcessId}");
        try
        {
            // Deleted when closed, whether the write succeeded or not.
            using var stream = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, PageBytes, FileOptions.DeleteOnClose);
            stream.Write(new byte[PageBytes]);
            stream.Flush(flushToDisk: true);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"{directory} is not writable: {ex.Message}";
        }
    }

    /// <summary>Checks a configured file path before start without touching the disk: the first open creates the directory.</summary>
    /// <returns>Null when usable; otherwise one line naming the option and the problem.</returns>
    public static string? ValidateFilePath(string optionName, string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return $"{optionName} is empty: set it to the SQLite file's path, e.g. /data/visits.db";
        }

        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"{optionName} '{path}' is not a usable path: {ex.Message}";
        }

        if (Directory.Exists(full))
        {
            return $"{optionName} '{path}' is a directory; it must name a file, e.g. {Path.Combine(path, "visits.db")}";
        }

        // The nearest part of the path that exists must be a directory, or nothing can be created below it.
        for (var directory = Path.GetDirectoryName(full); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(directory))
            {
                return $"{optionName} '{path}': cannot create its directory: {directory} is a file";
            }

            if (Directory.Exists(directory))
            {
                // access(2) asks without creating anything; it also sees a read-only mount or an immutable directory.
                return directory == Path.GetDirectoryName(full) || Access(directory, CreateEntries) == 0
                    ? null
                    : $"{optionName} '{path}': cannot create its directory: {directory} is not writable ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})";
            }
        }

        return null;
    }

    [DllImport("libc", EntryPoint = "access", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Access([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
