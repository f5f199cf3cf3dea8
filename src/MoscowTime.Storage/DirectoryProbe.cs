namespace MoscowTime.Storage;

/// <summary>
/// Proves a directory takes a new, fsynced file. SQLite needs that for its -wal and -shm files and
/// the sidecar for every backup; an open database file can keep taking writes after its directory
/// went read-only or full, so checking the file alone would report ready too long.
/// </summary>
public static class DirectoryProbe
{
    private const string ProbeName = ".write-check";

    /// <returns>Null when the directory is writable; otherwise the reason, naming the path.</returns>
    public static string? Check(string directory)
    {
        var probe = Path.Combine(directory, $"{ProbeName}-{Environment.ProcessId}");
        try
        {
            using (var stream = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
            {
                // One page: a full disk refuses this even when it still has room for an empty file.
                stream.Write(new byte[4096]);
                stream.Flush(flushToDisk: true);
            }

            File.Delete(probe);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(probe);
            return $"{directory} is not writable: {ex.Message}";
        }
    }

    /// <summary>Checks a configured file path before the app starts; creates its directory.</summary>
    /// <returns>Null when usable; otherwise one line naming the option and the problem.</returns>
    public static string? ValidateFilePath(string optionName, string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return $"{optionName} is empty: set it to the SQLite file's path, e.g. /data/visits.db";
        }

        string directory;
        try
        {
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                return $"{optionName} '{path}' is a directory; it must name a file, e.g. {Path.Combine(path, "visits.db")}";
            }

            directory = Path.GetDirectoryName(full) ?? full;
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return $"{optionName} '{path}': cannot create its directory: {ex.Message}";
        }

        return null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the probe could not write it either.
        }
    }
}
