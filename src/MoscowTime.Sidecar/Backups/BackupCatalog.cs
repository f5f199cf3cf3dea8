using System.Globalization;
using System.Text.RegularExpressions;

namespace MoscowTime.Sidecar.Backups;

/// <summary>One kept backup. The name carries the UTC time of its snapshot; the file's dates do not matter.</summary>
public sealed record BackupFile(string Path, DateTimeOffset TakenAt, long Size)
{
    public string Name => System.IO.Path.GetFileName(Path);
}

/// <summary>
/// The backup directory: how backups are named, listed newest first and pruned. Names sort in time
/// order (<c>visits-20261125T003012.345Z.db</c>), so <c>ls</c> shows the same order as /healthz.
/// Nothing here touches a file whose name it did not make.
/// </summary>
public sealed class BackupCatalog
{
    private const string StampFormat = "yyyyMMdd'T'HHmmss'.'fff";

    private readonly string _prefix;
    private readonly Regex _backupName;
    private readonly Regex _temporaryName;

    public BackupCatalog(string directory, string databasePath)
    {
        Directory = directory;
        // Named after the database, so that two databases can share one directory without mixing.
        _prefix = System.IO.Path.GetFileNameWithoutExtension(databasePath);
        var prefix = Regex.Escape(_prefix);
        _backupName = new Regex($@"^{prefix}-(\d{{8}}T\d{{6}}\.\d{{3}})Z\.db$", RegexOptions.CultureInvariant);
        _temporaryName = new Regex($@"^\.{prefix}-.*\.tmp(-journal|-wal|-shm)?$", RegexOptions.CultureInvariant);
    }

    public string Directory { get; }

    /// <summary>Kept backups, newest first; none when the directory does not exist (yet).</summary>
    public IReadOnlyList<BackupFile> List() =>
        [.. Files("*")
            .Select(file => TakenAt(file.Name) is { } takenAt ? new BackupFile(file.FullName, takenAt, file.Length) : null)
            .OfType<BackupFile>()
            .OrderByDescending(backup => backup.TakenAt)];

    /// <summary>The snapshot time a backup name of ours carries; null for any other name.</summary>
    public DateTimeOffset? TakenAt(string name) =>
        _backupName.Match(name) is { Success: true } match ? ParseStamp(match.Groups[1].Value) : null;

    /// <summary>The final name, to the millisecond: publishing never overwrites, so a name already taken fails that backup.</summary>
    public string PathFor(DateTimeOffset takenAt) => System.IO.Path.Combine(Directory, $"{_prefix}-{Stamp(takenAt)}Z.db");

    /// <summary>Where a snapshot is written before it is verified: the leading dot and suffix keep it out of <see cref="List"/>.</summary>
    public string TemporaryPathFor(string finalPath) =>
        System.IO.Path.Combine(Directory, $".{System.IO.Path.GetFileName(finalPath)}.tmp");

    /// <summary>Deletes all but the newest <paramref name="retain"/> backups.</summary>
    /// <returns>The backups deleted.</returns>
    public IReadOnlyList<BackupFile> Prune(int retain)
    {
        var expired = List().Skip(retain).ToList();
        foreach (var backup in expired)
        {
            File.Delete(backup.Path);
        }

        return expired;
    }

    /// <summary>Removes snapshots an earlier process left half-written (killed, power cut).</summary>
    /// <returns>The names removed.</returns>
    public IReadOnlyList<string> RemoveTemporaries()
    {
        var removed = Files(".*").Where(file => _temporaryName.IsMatch(file.Name)).ToList();
        foreach (var file in removed)
        {
            file.Delete();
        }

        return [.. removed.Select(file => file.Name)];
    }

    /// <summary>None when the directory does not exist (yet).</summary>
    private IEnumerable<FileInfo> Files(string pattern) =>
        System.IO.Directory.Exists(Directory) ? new DirectoryInfo(Directory).EnumerateFiles(pattern) : [];

    /// <summary>A UTC time as every name of ours carries it, to the millisecond, without its trailing Z.</summary>
    internal static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);

    internal static DateTimeOffset ParseStamp(string stamp) =>
        TryParseStamp(stamp) ?? throw new FormatException($"'{stamp}' is not a time as our names carry it");

    internal static DateTimeOffset? TryParseStamp(string stamp) => DateTime.TryParseExact(stamp, StampFormat, CultureInfo.InvariantCulture,
        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at) ? new DateTimeOffset(at, TimeSpan.Zero) : null;
}
