namespace MoscowTime.Sidecar.Files;

/// <summary>Writing a file so that after a crash it is either whole under its final name or absent.</summary>
internal static class DurableFile
{
    public static void Sync(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Renames a complete, synced file into place, never over an existing one: readers see it whole or not at all.</summary>
    public static void Publish(string temporary, string final)
    {
        File.Move(temporary, final);
        Posix.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(final))!);
    }

    /// <summary>Deletes what a failed attempt left behind; a leftover is better than hiding the first error.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The next start removes stale temporaries again.
        }
    }
}
