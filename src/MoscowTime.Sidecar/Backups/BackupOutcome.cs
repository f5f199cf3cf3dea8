using MoscowTime.Storage;

namespace MoscowTime.Sidecar.Backups;

/// <summary>How one pass of the backup loop ended, when it did not fail.</summary>
/// <param name="Version">The database version the backups now hold; null when there is no database.</param>
public abstract record BackupOutcome(DatabaseVersion? Version)
{
    /// <summary>A verified backup now stands under its final name.</summary>
    public sealed record Kept(DatabaseVersion? Version, BackupFile File, DateTimeOffset SnapshotAt, TimeSpan Duration)
        : BackupOutcome(Version);

    /// <summary>The newest backup already holds everything committed.</summary>
    /// <param name="SameAs">Set when a fresh snapshot turned out identical to this backup (after a restart).</param>
    public sealed record Unchanged(DatabaseVersion? Version, BackupFile? SameAs = null) : BackupOutcome(Version);

    /// <summary>There is no database, or it holds no schema yet: nothing a backup could restore.</summary>
    public sealed record NothingToBackUp(DatabaseVersion? Version, string Reason) : BackupOutcome(Version);
}
