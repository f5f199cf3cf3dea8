namespace MoscowTime.Sidecar.Backups;

/// <summary>
/// A backup that cannot succeed by trying again at once (no space, unwritable directory, a snapshot
/// that fails verification). The message is the reason /healthz shows.
/// </summary>
public sealed class BackupFailedException : Exception
{
    public BackupFailedException() { }

    public BackupFailedException(string message) : base(message) { }

    public BackupFailedException(string message, Exception inner) : base(message, inner) { }
}
