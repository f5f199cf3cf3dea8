using System.Globalization;
using System.Text.RegularExpressions;
using MoscowTime.Sidecar.Backups;
using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Remote;

/// <summary>A shipped segment and the object that holds it.</summary>
public sealed record StoredSegment(ShippedSegment Segment, RemoteObject Stored);

/// <summary>
/// One chain as a listing shows it (docs/design.md, "Continuous shipping"): a snapshot and the segments shipped after
/// it. A whole copy that earlier versions uploaded (<c>visits-&lt;utc&gt;.db</c>) is a chain with no segments.
/// </summary>
/// <param name="Start">The snapshot's time: where the chain's instants begin.</param>
/// <param name="Snapshot">Null when the chain's folder holds segments but no snapshot (an interrupted start or prune).</param>
public sealed partial record RemoteChain(DateTimeOffset Start, string Folder, RemoteObject? Snapshot, IReadOnlyList<StoredSegment> Segments)
{
    public const string SnapshotName = "snapshot.db";
    private const string FolderPrefix = "chain-";

    public static string FolderFor(DateTimeOffset start) => $"{FolderPrefix}{BackupCatalog.Stamp(start)}Z";

    /// <param name="generation">The WAL generation whose frame 0 the chain continues from, in the name (<c>snapshot-&lt;salts&gt;.db</c>): a sidecar restarted before the chain's first segment continues it too.</param>
    public static string SnapshotFor(DateTimeOffset start, WalPosition? generation = null) =>
        $"{FolderFor(start)}/{(generation is { } g ? $"snapshot-{g.Salt1:x8}{g.Salt2:x8}.db" : SnapshotName)}";

    /// <summary>Frame 0 of the WAL generation the snapshot's name carries; null when it carries none.</summary>
    public WalPosition? Generation => Snapshot is { } snapshot && GenerationPattern().Match(snapshot.Name) is { Success: true } match
        ? new WalPosition(Salt(match.Groups[1].Value), Salt(match.Groups[2].Value), 0)
        : null;

    /// <summary>
    /// The segments a restore applies, in order: from frame 0, each time the longest one that starts where the last
    /// ended (a compacted segment and its parts may both be there). Stops at a gap.
    /// </summary>
    public IReadOnlyList<StoredSegment> Continuous()
    {
        var path = new List<StoredSegment>();
        for (long next = 0; Segments.Where(s => s.Segment.From == next).MaxBy(s => s.Segment.To) is { } longest && longest.Segment.To > next;
            next = longest.Segment.To)
        {
            path.Add(longest);
        }

        return path;
    }

    /// <summary>The chains of this pod's folder, newest first; objects we did not make are left out.</summary>
    public static IReadOnlyList<RemoteChain> From(IEnumerable<RemoteObject> objects, BackupCatalog catalog)
    {
        var chains = new List<RemoteChain>();
        foreach (var folder in objects.GroupBy(o => o.Name.Split('/', 2) is [var first, _] ? first : ""))
        {
            if (folder.Key.Length == 0)
            {
                // Whole copies from earlier versions: each one a chain of its own.
                chains.AddRange(folder.Where(o => catalog.TakenAt(o.Name) is not null)
                    .Select(o => new RemoteChain(catalog.TakenAt(o.Name)!.Value, "", o, [])));
            }
            else if (folder.Key.StartsWith(FolderPrefix, StringComparison.Ordinal)
                && folder.Key.EndsWith('Z') && BackupCatalog.TryParseStamp(folder.Key[FolderPrefix.Length..^1]) is { } start)
            {
                var inside = folder.Select(o => (Object: o, File: o.Name[(folder.Key.Length + 1)..])).ToList();
                chains.Add(new RemoteChain(start, folder.Key,
                    inside.FirstOrDefault(o => o.File == SnapshotName || GenerationPattern().IsMatch(o.File)).Object,
                    [.. inside.Select(o => ShippedSegment.Parse(o.File) is { } segment ? new StoredSegment(segment, o.Object) : null)
                        .OfType<StoredSegment>().OrderBy(s => s.Segment.From)]));
            }
        }

        return [.. chains.OrderByDescending(c => c.Start)];
    }

    private static uint Salt(string hex) => uint.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?:^|/)snapshot-([0-9a-f]{8})([0-9a-f]{8})\.db$", RegexOptions.CultureInvariant)]
    private static partial Regex GenerationPattern();
}
